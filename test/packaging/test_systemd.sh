#!/usr/bin/env bash
# Checks packaging/systemd/*.service with `systemd-analyze verify` (any
# message, even a warning such as an unknown key, is a failure) and
# `systemd-analyze security --offline` (exposure at most 2.5, "OK").
# verify needs ExecStart's binary to exist, so the units are copied to a
# temporary folder with /usr/bin/scifind replaced by $SF_BIN.
# Exit 77 (skipped) without systemd-analyze or the binary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${SF_BIN:-$repo/build/scifind}

command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (Debian package systemd)"; exit 77; }
[ -x "$bin" ] || { echo "SKIP: no scifind binary at $bin (set SF_BIN)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
check() { # name, file
    local name=$1 unit=$2 out
    if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then
        echo "FAIL verify $name:"; echo "$out"; fail=1
    else
        echo "ok   verify $name"
    fi
    if ! out=$(systemd-analyze security --offline=yes --threshold=25 "$unit" 2>&1); then
        echo "FAIL security $name (exposure above 2.5):"; echo "$out" | grep -E '✗|Overall' || echo "$out"; fail=1
    else
        echo "ok   security $name: $(echo "$out" | grep -o 'Overall exposure level.*')"
    fi
}

for f in "$repo"/packaging/systemd/*.service; do
    sed "s#/usr/bin/scifind#$bin#g" "$f" > "$tmp/$(basename "$f")"
done
grep -q "^ExecStart=$bin serve" "$tmp/scifind.service" || { echo "FAIL: ExecStart is not /usr/bin/scifind serve"; exit 1; }

check scifind.service "$tmp/scifind.service"
# A template is verified through an instance.
cp "$tmp/scifind@.service" "$tmp/scifind@1.service"
check scifind@1.service "$tmp/scifind@1.service"

# What the rest of the packaging relies on.
req() { # file, line
    if grep -qxF -- "$2" "$1"; then :; else echo "FAIL $(basename "$1"): missing '$2'"; fail=1; fi
}
for u in "$tmp/scifind.service" "$tmp/scifind@.service"; do
    req "$u" "User=scifind"
    req "$u" "KillSignal=SIGTERM"
    req "$u" "NoNewPrivileges=yes"
    req "$u" "ProtectSystem=strict"
    req "$u" "ExecStartPre=$bin config check /etc/scifind/scifind.yaml"
done
req "$tmp/scifind.service" 'ExecReload=/bin/kill -HUP $MAINPID'
grep -q -- '--workers 0$' "$tmp/scifind@.service" || { echo "FAIL scifind@.service: ExecStart without --workers 0"; fail=1; }

# TimeoutStopSec must exceed the drain timeout of the packaged config.
drain=$(awk '/^drain_timeout:/ {print $2}' "$repo/packaging/config/scifind.yaml")
stop=$(awk -F= '/^TimeoutStopSec=/ {print $2}' "$tmp/scifind.service")
secs() { case $1 in *ms) echo $(( ${1%ms} / 1000 ));; *s) echo "${1%s}";; *m) echo $(( ${1%m} * 60 ));; *) echo "$1";; esac; }
if [ "$(secs "$stop")" -le "$(secs "$drain")" ]; then
    echo "FAIL: TimeoutStopSec=$stop is not above drain_timeout $drain"; fail=1
fi

# The packaged configuration is valid.
"$bin" config check "$repo/packaging/config/scifind.yaml" || fail=1

[ $fail = 0 ] && echo "systemd units: all checks passed"
exit $fail
