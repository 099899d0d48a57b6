#!/usr/bin/env bash
# Installs the Debian packages scifind needs, by group:
#
#   build  compiler, meson/ninja and the libraries scifind links against
#   test   what the test suite runs: python3, clang's sanitizer runtime,
#          the servers the integration tests start on their own ports and
#          folders (redis-server, postgresql, nginx, nats-server), promtool,
#          curl, procps, nodejs and python3-yaml (test/bench checks the k6
#          scripts), python3-jsonschema (answers checked against
#          docs/openapi.yaml), npm (the MCP tests install the official client:
#          scripts/mcp-sdk.sh), and the headless browser of the search
#          page's test (chromium, driven through chromium-driver's WebDriver)
#   bench  load tools (wrk) and the servers the benchmarks compare against;
#          the JSON parsers bench/parse compares yajl with (jsmn, simdjson)
#   run    what scripts/demo.sh needs besides build: python3 (the provider
#          simulator) and curl
#   all    every group (the default when no group is named)
#
# Usage: scripts/install-deps.sh [build] [test] [bench] [all]
#
# Idempotent: a package already installed is not touched, and apt-get runs
# (update, then install --no-install-recommends) only when something is
# missing. Runs as root, or through sudo otherwise.
#
# Services: Debian starts redis, postgresql and nginx on install. Our tests
# start their own instances on their own ports and data folders, so while
# this script installs it puts a policy-rc.d in place that forbids starting
# services (the standard Debian mechanism), and removes it afterwards.
set -euo pipefail

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

BUILD_PKGS=(build-essential meson ninja-build pkg-config
            libuv1-dev node-llhttp libcurl4-openssl-dev libhiredis-dev libpq-dev
            libjansson-dev libxml2-dev zlib1g-dev libyaml-dev libssl-dev libnats-dev
            libyajl-dev)
TEST_PKGS=(python3 clang libclang-rt-14-dev procps curl debhelper dpkg-dev fakeroot systemd
           redis-server postgresql NGINX prometheus NODE python3-yaml python3-jsonschema
           nats-server chromium
           chromium-driver)
TEST_PKGS+=(python3-bibtexparser)  # reads the BibTeX export back (test/blackbox/test_export.py)
RUN_PKGS=(python3 curl)
BENCH_PKGS=(wrk NGINX redis-server postgresql curl procps
            libnginx-mod-http-echo libjsmn-dev libsimdjson-dev)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(all)

want=()
for g in "${groups[@]}"; do
    case "$g" in
        build) want+=("${BUILD_PKGS[@]}") ;;
        test)  want+=("${TEST_PKGS[@]}") ;;
        bench) want+=("${BENCH_PKGS[@]}") ;;
        run)   want+=("${RUN_PKGS[@]}") ;;
        all)   want+=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${BENCH_PKGS[@]}" "${RUN_PKGS[@]}") ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-deps: unknown group '$g' (build, test, bench, run, all)" >&2; exit 2 ;;
    esac
done

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
declare -A seen=()
for p in "${want[@]}"; do
    [ -n "${seen[$p]:-}" ] && continue
    seen[$p]=1
    if [ "$p" = NGINX ]; then
        # Any of Debian's nginx flavours will do; install the plain one.
        if installed nginx || installed nginx-light || installed nginx-core \
           || installed nginx-full || installed nginx-extras; then
            continue
        fi
        p=nginx
    fi
    if [ "$p" = NODE ]; then
        # Node.js with npm: Debian's two packages, unless a nodejs that
        # carries its own npm (NodeSource's) is there already.
        installed nodejs && command -v npm >/dev/null 2>&1 && continue
        installed nodejs || missing+=(nodejs)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
        continue
    fi
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present (${groups[*]})"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-deps: not root and no sudo; install these by hand: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"

POLICY=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
    if [ "$made_policy" = 1 ]; then
        "${SUDO[@]}" rm -f "$POLICY"
    fi
}
trap cleanup EXIT
if [ ! -e "$POLICY" ]; then
    # exit 101 = "action forbidden by policy": invoke-rc.d starts nothing.
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    made_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          -o DPkg::Lock::Timeout=300)

retry() {
    local n=0
    until "$@"; do
        n=$((n + 1))
        if [ $n -ge 3 ]; then return 1; fi
        echo "install-deps: '$*' failed, retrying in 5 s" >&2
        sleep 5
    done
}

retry "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update -q
retry "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y -q \
    --no-install-recommends "${missing[@]}"

# Should anything have started regardless (a policy-rc.d that was already
# there and allowed it, a systemd machine), stop the stock instances: they
# would hold the default ports (6379, 5432, 80) and use memory for nothing.
new_services=()
for p in "${missing[@]}"; do
    case "$p" in
        redis-server|postgresql) new_services+=("$p") ;;
        nginx*) new_services+=(nginx) ;;
    esac
done
for svc in ${new_services[@]+"${new_services[@]}"}; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
    fi
done

still=()
for p in "${missing[@]}"; do installed "$p" || still+=("$p"); done
if [ ${#still[@]} -ne 0 ]; then
    echo "install-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: done"
