#!/usr/bin/env bash
# The README's first command: installs what scifind needs (Debian packages),
# builds it, starts the bundled provider simulator and scifind in front of
# it, runs a demo search, prints the search page's address (opening it in a
# browser when there is a display), and keeps both running until Ctrl-C.
#
#   scripts/demo.sh [--listen HOST:PORT] [--workers N]
#
# scifind listens on 127.0.0.1:8080 by default; the simulator on
# 127.0.0.1:9100 (SF_SIM_LISTEN to change it). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTEN=127.0.0.1:8080
WORKERS=
while [ $# -gt 0 ]; do
    case "$1" in
        --listen) LISTEN=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
SIM_LISTEN=${SF_SIM_LISTEN:-127.0.0.1:9100}

scripts/install-deps.sh build run
if [ -d build/meson-private ]; then meson setup --reconfigure build >/dev/null; else meson setup build --buildtype=release; fi
ninja -C build

tmp=$(mktemp -d)
sim_pid=
sf_pid=
# Each step on its own: under set -e a wait that returns a server's exit
# status would end the trap before the simulator is stopped.
cleanup() {
    if [ -n "$sf_pid" ]; then kill "$sf_pid" 2>/dev/null || true; wait "$sf_pid" 2>/dev/null || true; fi
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "==> starting the provider simulator on $SIM_LISTEN (4,000 real arXiv records, a few seconds)"
build/scifind-provsim --listen "$SIM_LISTEN" --exa-api-key demo-key >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 300); do
    grep -q '"listening"' "$tmp/sim.out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.err" >&2; exit 1; }
    sleep 0.1
done
grep -q '"listening"' "$tmp/sim.out" || { echo "simulator did not start" >&2; cat "$tmp/sim.err" >&2; exit 1; }

# Every provider points at the simulator; its rates are not the real APIs'.
base="http://$SIM_LISTEN"
for p in ARXIV SEMANTIC_SCHOLAR EXA OPENALEX CROSSREF; do
    export "SCIFIND_${p}_BASE_URL=$base" "SCIFIND_${p}_RATE_INTERVAL=0"
done
export SCIFIND_EXA_API_KEY=demo-key SCIFIND_CONTACT=demo@scifind.invalid

echo "==> starting scifind on $LISTEN"
build/scifind serve --listen "$LISTEN" ${WORKERS:+--workers "$WORKERS"} &
sf_pid=$!
for _ in $(seq 100); do
    curl -fs "http://$LISTEN/health" >/dev/null 2>&1 && break
    sleep 0.1
done

url="http://$LISTEN/v1/search?query=graph+neural+networks&limit=5"
echo "==> demo search: curl '$url'"
curl -fsS "$url" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("total %d papers, %.1f ms, partial=%s" % (d["total"], d["took_ms"], d["partial"]))
for name, p in d["providers"].items():
    lat = "%7.1f ms" % p["latency_ms"] if p["latency_ms"] is not None else "      -"
    print("  %-17s %-12s %3d results %s" % (name, p["status"], p["results"], lat))
for i, r in enumerate(d.get("papers", d.get("results", [])), 1):
    print("%d. %s (%s) [%s]" % (i, r["title"], r["year"], ", ".join(s["provider"] for s in r["sources"])))
'
echo
echo "scifind is serving on http://$LISTEN (providers: the simulator on $SIM_LISTEN). Ctrl-C stops both."
echo "==> the search page: http://$LISTEN/"
# A browser only where there is a screen to show it on.
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && command -v xdg-open >/dev/null 2>&1; then
    xdg-open "http://$LISTEN/" >/dev/null 2>&1 || true
fi
wait "$sf_pid"
