#!/usr/bin/env bash
# Runs the libFuzzer targets under AddressSanitizer + UndefinedBehaviorSanitizer
# (and LeakSanitizer), each for SECONDS, with its dictionary and seed corpus.
#
# Usage: test/fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 60)
#   TARGET   http query config jsonrpc export provider_arxiv provider_semantic_scholar
#            provider_exa provider_openalex provider_crossref (default: all)
#
# Environment:
#   FUZZ_BUILD_DIR  build folder (default build-fuzz/ at the top of the tree;
#                   configured here with clang when it does not exist)
#   FUZZ_PARALLEL   targets run at once (default 1)
#   FUZZ_FLAGS      extra libFuzzer flags (e.g. "-seed=1 -runs=100000")
#
# New inputs that reach new code go to $FUZZ_BUILD_DIR/fuzz-corpus/<target>/
# (not into the tree: the committed seeds stay small). A crash, leak, hang
# or sanitizer report stops that target and leaves its input in
# test/fuzz/crashes/<target>/ (crash-*, leak-*, timeout-*, oom-*): replay it
# with build-fuzz/test/fuzz/fuzz_<target> FILE, fix, then move it to
# test/fuzz/regressions/<target>/ so the unit tests replay it forever.
# Ends with a table (executions, coverage, corpus, crashes per target) and
# exits 1 when a target crashed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
PARALLEL=${FUZZ_PARALLEL:-1}
ALL=(http query config jsonrpc export provider_arxiv provider_semantic_scholar provider_exa provider_openalex
     provider_crossref cites)

SECS=60
if [ $# -gt 0 ]; then
    case "$1" in
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
                   exit 0 ;;
        *[!0-9]*) ;;
        *) SECS=$1; shift ;;
    esac
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
    case " ${ALL[*]} " in *" $t "*) ;; *) echo "run.sh: unknown target '$t' (${ALL[*]})" >&2; exit 2 ;; esac
done

command -v clang >/dev/null || { echo "run.sh: clang is needed (scripts/install-deps.sh test)" >&2; exit 2; }

# -- build -------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" "$ROOT" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$BUILD" $(for t in "${targets[@]}"; do echo "test/fuzz/fuzz_$t"; done) >/dev/null

dict_for() {
    case "$1" in
        http) echo http.dict ;;
        query) echo query.dict ;;
        export) echo export.dict ;;
        config) echo yaml.dict ;;
        provider_arxiv) echo xml.dict ;;
        provider_*|jsonrpc|cites) echo json.dict ;;
    esac
}
maxlen_for() {
    case "$1" in
        http|query|config|jsonrpc) echo 4096 ;;
        *) echo 16384 ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
LOGS="$BUILD/fuzz-logs"
mkdir -p "$LOGS"

run_one() {
    local t=$1
    local work="$BUILD/fuzz-corpus/$t" crashes="$HERE/crashes/$t"
    mkdir -p "$work" "$crashes"
    touch "$LOGS/$t.start"
    # The work corpus first: libFuzzer writes new inputs to the first folder.
    "$BUILD/test/fuzz/fuzz_$t" "$work" "$HERE/corpus/$t" \
        -dict="$HERE/$(dict_for "$t")" -max_len="$(maxlen_for "$t")" \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1536 -print_final_stats=1 \
        -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} >"$LOGS/$t.log" 2>&1 || true
}

echo "run.sh: ${#targets[@]} target(s), ${SECS}s each, $PARALLEL at a time; logs in $LOGS/"
running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$PARALLEL" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

# -- summary -----------------------------------------------------------------
status=0
printf '%-27s %12s %8s %8s %8s %8s\n' target execs exec/s cov corpus crashes
for t in "${targets[@]}"; do
    log="$LOGS/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
    corpus=$(find "$BUILD/fuzz-corpus/$t" "$HERE/corpus/$t" -type f 2>/dev/null | wc -l)
    new=$(find "$HERE/crashes/$t" -type f -newer "$LOGS/$t.start" 2>/dev/null | wc -l)
    printf '%-27s %12s %8s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" "$new"
    if [ "$new" -gt 0 ]; then
        status=1
        find "$HERE/crashes/$t" -type f -newer "$LOGS/$t.start" -printf '    %p\n'
        grep -aE '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z_]+(\(.*\))?: )' "$log" | head -3 | sed 's/^/    /'
    fi
done
exit $status
