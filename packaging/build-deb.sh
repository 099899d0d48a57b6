#!/usr/bin/env bash
# Builds the scifind Debian package from this source tree.
#
# Usage: packaging/build-deb.sh [--rev REV] [OUT_DIR]   (default OUT_DIR: ./dist)
#
# The repository's top level is fixed, so the debian/ folder lives in
# packaging/debian/. This script copies the source tree into a temporary
# folder (the working tree: tracked and untracked files that git does not
# ignore, no build folders; or, with --rev, the commit REV through
# `git archive`), puts packaging/debian/ at its debian/, sets the package
# version to meson's project version when debian/changelog names another
# one, runs `dpkg-buildpackage -us -uc -b`, and moves the .deb (and
# .buildinfo/.changes) to OUT_DIR. Prints the .deb's path last.
#
# Needs: dpkg-dev, debhelper, and the Build-Depends of debian/control
# (scripts/install-deps.sh build). Environment:
#   DEB_BUILD_OPTIONS  passed on (e.g. "nocheck parallel=2"); by default
#                      "parallel=<cores>"
#   KEEP_BUILD_TREE=1  keep the temporary tree (its path is printed)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
rev=
if [ "${1:-}" = --rev ]; then
    [ -n "${2:-}" ] || { echo "build-deb: --rev needs a revision" >&2; exit 2; }
    rev=$2; shift 2
fi
out=${1:-$repo/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool not found (apt-get install dpkg-dev debhelper)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/scifind-deb.XXXXXX")
cleanup() {
    if [ "${KEEP_BUILD_TREE:-0}" = 1 ]; then echo "build-deb: build tree kept in $work" >&2
    else rm -rf "$work"; fi
}
trap cleanup EXIT
src="$work/scifind"
mkdir -p "$src"

# The source: what git knows (tracked and untracked but not ignored), or
# everything but build folders when this is not a git checkout.
cd "$repo"
if [ -n "$rev" ]; then
    git archive --format=tar "$rev" | tar -xf - -C "$src"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard \
        | (while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) \
        | tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude='./build*' --exclude='./dist' --exclude='./.git' -cf - . | tar -xf - -C "$src"
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

# Package version = meson's project version (changelog's first line otherwise).
meson_version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$repo/meson.build" | head -n1)
deb_version=$(cd "$src" && dpkg-parsechangelog -S Version)
if [ -n "$meson_version" ] && [ "${deb_version%-*}" != "$meson_version" ]; then
    {
        printf 'scifind (%s-1) unstable; urgency=medium\n\n' "$meson_version"
        printf '  * Upstream version %s (set by packaging/build-deb.sh).\n\n' "$meson_version"
        printf ' -- scifind maintainers <scifind@example.org>  %s\n\n' "$(date -R)"
        cat "$src/debian/changelog"
    } > "$src/debian/changelog.new"
    mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)}
echo "build-deb: dpkg-buildpackage in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)" >&2
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 || {
    echo "build-deb: dpkg-buildpackage failed; last lines of the log:" >&2
    tail -n 60 "$work/build.log" >&2
    exit 1
}

shopt -s nullglob
debs=("$work"/scifind_*.deb)
[ ${#debs[@]} -eq 1 ] || { echo "build-deb: expected one .deb, found: ${debs[*]:-none}" >&2; exit 1; }
mv "$work"/scifind_*.deb "$work"/scifind_*.buildinfo "$work"/scifind_*.changes "$out"/ 2>/dev/null || true
cp "$work/build.log" "$out/build-deb.log"
echo "$out/$(basename "${debs[0]}")"
