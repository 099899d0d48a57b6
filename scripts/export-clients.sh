#!/usr/bin/env bash
# Installs the real consumers of scifind's exports (citeproc-js, citation-js
# with its RIS plugin; the versions pinned by test/export/package-lock.json)
# into DEST/node_modules with npm ci, for test/blackbox/test_export.py. Not
# committed, not installed with scifind: DEST is a folder under the build
# directory. The same shape as scripts/mcp-sdk.sh.
#
# Usage: scripts/export-clients.sh DEST
#
# Does nothing when DEST already holds this lock file's install. Exits 77
# (the test suite's "skipped") without node or npm, 1 when npm fails.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC="$HERE/../test/export"
DEST=${1:?usage: scripts/export-clients.sh DEST}

command -v node >/dev/null && command -v npm >/dev/null || {
    echo "export-clients: node and npm are needed (scripts/install-deps.sh test)" >&2
    exit 77
}
mkdir -p "$DEST"
if cmp -s "$SRC/package-lock.json" "$DEST/package-lock.json" &&
   [ -f "$DEST/node_modules/citeproc/package.json" ] &&
   [ -f "$DEST/node_modules/@citation-js/plugin-ris/package.json" ]; then
    cp "$SRC/clients.js" "$DEST/"
    exit 0
fi
cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/clients.js" "$DEST/"
cd "$DEST"
npm ci --no-audit --no-fund --loglevel=error >&2
