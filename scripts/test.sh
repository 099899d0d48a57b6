#!/usr/bin/env bash
# Builds scifind twice and runs the whole test suite on both builds:
#
#   build/       --buildtype=debugoptimized
#   build-asan/  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#
# then the provider simulator's own tests (test/sim/test_*.py), each
# counted as one test. Ends with one line "N passed, N failed" summing
# everything, and exits non-zero when anything failed (a timeout is a failure;
# so is a build that does not finish).
#
# Environment:
#   SF_SKIP_DEPS=1     do not run scripts/install-deps.sh
#   SF_SKIP_ASAN=1     skip the sanitizer build (quicker local runs)
#   SF_SKIP_FUZZ=1     skip the short fuzz run (SF_FUZZ_SECONDS per target, default 20)
#   SF_SKIP_SOAK=1     skip the 3-minute soak and the 30 s overload
#   SF_TEST_ARGS=...   extra arguments for `meson test` (e.g. "--suite unit")
#   SF_RUN_TIMEOUT=N   seconds allowed for each `meson test` run (default 780)
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

passed=0
failed=0
skipped=0
failures=()

note() { printf '\n==> %s\n' "$*"; }

if [ "${SF_SKIP_DEPS:-0}" != 1 ]; then
    note "installing dependencies"
    if ! scripts/install-deps.sh build test; then
        echo "test.sh: dependency install failed" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

JOBS=$(nproc 2>/dev/null || echo 2)
RUN_TIMEOUT=${SF_RUN_TIMEOUT:-780}

# setup DIR ARGS...: configure (or reconfigure) a build folder.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ] || [ -d "$dir/meson-private" ]; then
        meson setup --reconfigure "$dir" "$@" || { rm -rf "$dir" && meson setup "$dir" "$@"; }
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
}

# count LOG: adds meson's summary lines of LOG to the totals. Returns 1 when
# the log has no summary (meson test did not get to run the tests).
count() {
    local log=$1 ok xfail fail upass skip tout
    grep -q '^Ok:' "$log" || return 1
    ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
    xfail=$(awk '/^Expected Fail:/ {print $3}' "$log" | tail -1)
    fail=$(awk '/^Fail:/ {print $2}' "$log" | tail -1)
    upass=$(awk '/^Unexpected Pass:/ {print $3}' "$log" | tail -1)
    skip=$(awk '/^Skipped:/ {print $2}' "$log" | tail -1)
    tout=$(awk '/^Timeout:/ {print $2}' "$log" | tail -1)
    passed=$((passed + ${ok:-0} + ${xfail:-0}))
    failed=$((failed + ${fail:-0} + ${upass:-0} + ${tout:-0}))
    skipped=$((skipped + ${skip:-0}))
    return 0
}

# run_build NAME DIR SETUP_ARGS...: configure, build, test one build folder.
run_build() {
    local name=$1 dir=$2; shift 2
    local log="$dir/test-summary.log" rc
    note "$name: configure $dir"
    if ! setup "$dir" "$@"; then
        failed=$((failed + 1)); failures+=("$name: meson setup"); return
    fi
    note "$name: build"
    if ! ninja -C "$dir" -j "$JOBS"; then
        failed=$((failed + 1)); failures+=("$name: build"); return
    fi
    note "$name: test"
    # shellcheck disable=SC2086
    timeout --kill-after=30 "$RUN_TIMEOUT" \
        meson test -C "$dir" --print-errorlogs --num-processes 2 ${SF_TEST_ARGS:-} \
        2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if ! count "$log"; then
        if grep -q 'No tests defined' "$log"; then
            echo "test.sh: $name: no tests defined"
        else
            failed=$((failed + 1))
            if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
                failures+=("$name: meson test killed after ${RUN_TIMEOUT}s")
            else
                failures+=("$name: meson test exited $rc without a summary")
            fi
        fi
    elif [ "$rc" != 0 ]; then
        failures+=("$name: meson test exited $rc")
        # A non-zero exit with no failure counted (e.g. a killed run after
        # the summary) still fails the run.
        if ! grep -Eq '^(Fail|Timeout|Unexpected Pass):[[:space:]]+[1-9]' "$log"; then
            failed=$((failed + 1))
        fi
    fi
}

run_build "debugoptimized" build --buildtype=debugoptimized -Db_sanitize=none

if [ "${SF_SKIP_ASAN:-0}" != 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    run_build "asan+ubsan" build-asan --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# The 3-minute soak and a 30 s overload on the normal build (RELIABILITY.md).
if [ "${SF_SKIP_SOAK:-0}" != 1 ] && [ -x build/scifind ]; then
    note "soak 3m + overload 30s: bench/soak/run ci"
    # In 3 minutes the caches (memory 8 MiB and provider results 16 MiB per
    # worker) may still be filling: the flat-memory bound of 2 MiB is the
    # 30-minute soak's (RELIABILITY.md); here a leak must outgrow the caches.
    if timeout --kill-after=10 900 bench/soak/run ci --bin build/scifind \
        --max-rss-growth-kb 65536; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures+=("bench/soak/run ci")
    fi
fi

# Every fuzz target for a short while (the long runs are in RELIABILITY.md).
if [ "${SF_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null 2>&1; then
    note "fuzz: each target for ${SF_FUZZ_SECONDS:-20}s"
    if FUZZ_PARALLEL=2 timeout --kill-after=10 900 test/fuzz/run.sh "${SF_FUZZ_SECONDS:-20}"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures+=("test/fuzz/run.sh")
    fi
fi

# The provider simulator is Python: its own tests run once, not per build.
for t in test/sim/test_*.py; do
    [ -f "$t" ] || continue
    note "provider simulator: python3 $t"
    if timeout --kill-after=10 300 python3 "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures+=("$t")
    fi
done

echo
if [ ${#failures[@]} -ne 0 ]; then
    echo "failures:"
    printf '  %s\n' "${failures[@]}"
fi
if [ "$skipped" -ne 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
cd "$ROOT"
[ "$failed" -eq 0 ]
