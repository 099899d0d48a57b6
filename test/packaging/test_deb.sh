#!/usr/bin/env bash
# Builds the Debian package with packaging/build-deb.sh and checks it
# without installing it on this machine:
#   - control fields, conffiles, maintainer scripts (sh -n), contents;
#   - `dpkg -x` into a temporary root, then the extracted binary's
#     --version, `config check` on the packaged config, and a real start
#     (--workers 0 on a free loopback port, GET /health);
#   - systemd-analyze verify on the extracted units (binary path replaced);
#   - postinst configure run with stub commands (getent, adduser, chgrp...)
#     first in PATH: it must create the scifind system user and group.
# SF_DEB_REV=REV builds a git revision instead of the working tree; with
# SF_DEB=path/to.deb the build is skipped. Exit 77 (skipped) without
# dpkg-buildpackage, debhelper or the Build-Depends.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scifind-test-deb.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

fail=0
ok()  { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

deb=${SF_DEB:-}
if [ -z "$deb" ]; then
    for t in dpkg-buildpackage dh dpkg-checkbuilddeps; do
        command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install dpkg-dev debhelper)"; exit 77; }
    done
    if ! missing=$(cd "$repo/packaging" && dpkg-checkbuilddeps -d "$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control \
            | sed '$d' | sed 's/^Build-Depends://' | tr -d '\n')" /dev/null 2>&1); then
        echo "SKIP: missing Build-Depends: $missing"; exit 77
    fi
    args=()
    [ -n "${SF_DEB_REV:-}" ] && args=(--rev "$SF_DEB_REV")
    if ! deb=$(DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" "$repo/packaging/build-deb.sh" "${args[@]}" "$tmp/out" | tail -n1); then
        echo "FAIL: build-deb.sh failed"; exit 1
    fi
fi
[ -f "$deb" ] || { echo "FAIL: no .deb ($deb)"; exit 1; }
ok "built $(basename "$deb")"

version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$repo/meson.build" | head -n1)

# Control data.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = scifind ] && ok "Package: scifind" || bad "Package: $(field Package)"
case "$(field Version)" in "$version"-*) ok "Version $(field Version)";; *) bad "Version $(field Version) is not $version-N";; esac
field Depends | grep -q adduser && ok "Depends on adduser" || bad "Depends lacks adduser: $(field Depends)"
field Depends | grep -q libuv1 && ok "shlibs dependencies computed" || bad "Depends lacks libuv1: $(field Depends)"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/scifind/scifind.yaml "$tmp/control/conffiles" && ok "conffile /etc/scifind/scifind.yaml" \
    || bad "/etc/scifind/scifind.yaml is not a conffile"
for s in postinst postrm prerm; do
    [ -f "$tmp/control/$s" ] || continue
    sh -n "$tmp/control/$s" && ok "$s parses" || bad "$s: syntax error"
done

# Contents.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' > "$tmp/contents"
for f in /usr/bin/scifind /etc/scifind/scifind.yaml /lib/systemd/system/scifind.service \
         /lib/systemd/system/scifind@.service /usr/share/scifind/nginx/scifind.conf \
         /usr/share/scifind/prometheus/alerts.yaml /usr/share/scifind/grafana/scifind.json \
         /etc/logrotate.d/scifind /etc/default/scifind /usr/share/doc/scifind/copyright; do
    grep -qx "$f" "$tmp/contents" && ok "ships $f" || bad "does not ship $f"
done
src=$repo
if [ -n "${SF_DEB_REV:-}" ]; then
    n=$(cd "$repo" && git ls-tree --name-only "$SF_DEB_REV" store/migrations/ 2>/dev/null | grep -c '\.sql$' || true)
else
    n=$(ls "$src"/store/migrations/*.sql 2>/dev/null | wc -l)
fi
m=$(grep -c '^/usr/share/scifind/migrations/.*\.sql$' "$tmp/contents" || true)
if [ -n "${SF_DEB:-}" ]; then ok "ships $m migration(s) (a given .deb: source not compared)"
elif [ "$m" = "$n" ]; then ok "ships $m migration(s) of $n"
else bad "ships $m migrations, the source has $n"; fi
if grep -E '^/(usr/)?(lib|include)/.*\.(a|h|so)$|/test' "$tmp/contents"; then bad "ships build or test files"; fi

# Extracted into a temporary root.
root="$tmp/root"
dpkg -x "$deb" "$root"
bin="$root/usr/bin/scifind"
out=$("$bin" --version) && [ "$out" = "scifind $version" ] && ok "--version: $out" || bad "--version: '$out'"
"$bin" config check "$root/etc/scifind/scifind.yaml" >/dev/null && ok "config check on the packaged config" \
    || bad "config check refused the packaged config"

if command -v curl >/dev/null; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" serve --config "$root/etc/scifind/scifind.yaml" --workers 0 --listen "127.0.0.1:$port" \
        > "$tmp/serve.log" 2>&1 &
    pid=$!
    body=
    for _ in $(seq 100); do
        body=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null) && break
        sleep 0.1
    done
    [ "$body" = '{"status":"ok"}' ] && ok "serves /health with the packaged config" \
        || { bad "GET /health: '$body'"; cat "$tmp/serve.log"; }
    kill -TERM "$pid"
    if wait "$pid"; then ok "drains and exits 0 on SIGTERM"; else bad "exit status $? after SIGTERM"; fi
    pid=
fi

if command -v systemd-analyze >/dev/null; then
    mkdir -p "$tmp/units"
    for u in scifind.service scifind@.service; do
        sed "s#/usr/bin/scifind#$bin#g" "$root/lib/systemd/system/$u" > "$tmp/units/$u"
    done
    cp "$tmp/units/scifind@.service" "$tmp/units/scifind@1.service"
    for u in scifind.service scifind@1.service; do
        if o=$(systemd-analyze verify "$tmp/units/$u" 2>&1) && [ -z "$o" ]; then ok "verify $u"; else bad "verify $u: $o"; fi
    done
fi

# postinst with stubs: records the commands it runs, touches nothing.
stubs="$tmp/stubs"
mkdir -p "$stubs"
for c in getent addgroup adduser install chgrp chmod dpkg-statoverride deb-systemd-helper \
         deb-systemd-invoke systemctl; do
    printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$c" "$tmp/calls" > "$stubs/$c"
    [ "$c" = getent ] && printf 'exit 2\n' >> "$stubs/$c"
    [ "$c" = dpkg-statoverride ] && printf 'exit 1\n' >> "$stubs/$c"
    chmod +x "$stubs/$c"
done
if PATH="$stubs:$PATH" sh "$tmp/control/postinst" configure > "$tmp/postinst.out" 2>&1; then
    ok "postinst configure exits 0"
else
    bad "postinst configure failed:"; cat "$tmp/postinst.out"
fi
grep -q '^addgroup --system .*scifind$' "$tmp/calls" && ok "postinst creates the scifind group" || bad "no addgroup --system scifind"
grep -q '^adduser --system .*--ingroup scifind .*scifind$' "$tmp/calls" && ok "postinst creates the scifind system user" \
    || { bad "no adduser --system scifind"; cat "$tmp/calls"; }

[ $fail = 0 ] && echo "debian package: all checks passed"
exit $fail
