#!/usr/bin/env bash
# Valgrind memcheck over the black-box suite: each test file runs with the
# real binary wrapped in valgrind (harness.py's SF_WRAP), the harness's waits
# and client timeouts scaled (SF_TIME_FACTOR), and a normal (non-sanitizer)
# build. Every process (the master and each forked worker) writes its own
# valgrind log; the script then counts memcheck errors and definite leaks in
# them.
#
#   test/fault/valgrind.sh [BUILD_DIR]      # default: build (a non-ASan build)
#
# Environment:
#   VG_TESTS="test_http.py ..."   black-box files to run (default below)
#   SF_TIME_FACTOR=N              default 10
#   VG_KEEP=1                     keep the valgrind logs (printed path)
#
# Exit 0: no memcheck error and no definite leak in any process, and every
# test file passed; 1 otherwise. A test that fails only under valgrind
# (timing) is reported apart from memcheck's findings.
#
# Valgrind options: --trace-children=yes follows exec (the master forks
# workers without exec: fork is always followed); --child-silent-after-fork
# stays "no" so the workers report too, each into its own vg.PID.log thanks
# to %p; --errors-for-leak-kinds=definite makes a definite leak an error
# (exit code 99 for that process), "still reachable" at exit is not one.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-build}
BIN="$ROOT/$BUILD/scifind"
[ -x "$BIN" ] || { echo "valgrind.sh: no binary at $BIN (build it first)" >&2; exit 2; }
command -v valgrind > /dev/null || { echo "valgrind.sh: valgrind not installed" >&2; exit 2; }
if nm -a "$BIN" 2>/dev/null | grep -q __asan_init; then
    echo "valgrind.sh: $BIN is an ASan build; use a normal build" >&2
    exit 2
fi

OUT=$(mktemp -d /tmp/scifind-valgrind.XXXXXX)
TESTS=${VG_TESTS:-"test_http.py test_limits.py test_smuggling.py test_process.py"}
export SF_BIN="$BIN"
export SF_TIME_FACTOR=${SF_TIME_FACTOR:-10}
export PYTHONDONTWRITEBYTECODE=1
export SF_KEEP_LOGS=1

failed_tests=()
for t in $TESTS; do
    mkdir -p "$OUT/$t"
    export SF_WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite --trace-children=yes \
--child-silent-after-fork=no --num-callers=30 --log-file=$OUT/$t/vg.%p.log"
    echo "==> $t under valgrind"
    start=$(date +%s)
    if timeout 1500 python3 "test/blackbox/$t" > "$OUT/$t/test.log" 2>&1; then
        echo "    passed ($(( $(date +%s) - start )) s): $(grep -E '^Ran ' "$OUT/$t/test.log")"
    else
        failed_tests+=("$t")
        echo "    FAILED ($(( $(date +%s) - start )) s): $(grep -E '^Ran |^FAILED' "$OUT/$t/test.log" | tr '\n' ' ')"
        grep -E '^(FAIL|ERROR):' "$OUT/$t/test.log" | sed 's/^/      /'
    fi
done

# Memcheck's findings, per process log.
logs=$(find "$OUT" -name 'vg.*.log' | sort)
nlogs=$(echo "$logs" | grep -c . || true)
err_logs=()
leak_logs=()
for f in $logs; do
    # --quiet prints nothing for a clean process; any error block starts "==PID== ".
    if grep -qE '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination|Argument .* of function)' "$f"; then
        err_logs+=("$f")
    fi
    if grep -qE 'definitely lost in' "$f"; then
        leak_logs+=("$f")
    fi
done

echo
echo "valgrind: $nlogs processes checked (master, workers, CLI runs) over: $TESTS"
echo "  processes with memcheck errors: ${#err_logs[@]}"
for f in "${err_logs[@]}"; do
    echo "  --- $f"; grep -E '^==[0-9]+== ' "$f" | head -40 | sed 's/^/    /'
done
echo "  processes with definite leaks: ${#leak_logs[@]}"
for f in "${leak_logs[@]}"; do
    echo "  --- $f"; grep -E -A25 'definitely lost in' "$f" | head -60 | sed 's/^/    /'
done
echo "  test files failing under valgrind: ${#failed_tests[@]} ${failed_tests[*]:-}"

rc=0
[ ${#err_logs[@]} -eq 0 ] && [ ${#leak_logs[@]} -eq 0 ] && [ ${#failed_tests[@]} -eq 0 ] || rc=1
if [ "${VG_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "  logs kept in $OUT"
else
    rm -rf "$OUT"
fi
exit $rc
