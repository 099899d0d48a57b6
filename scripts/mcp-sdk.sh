#!/usr/bin/env bash
# Installs the official MCP TypeScript SDK (@modelcontextprotocol/sdk, the
# version pinned by test/mcp/package-lock.json) into DEST/node_modules with
# npm ci, for the black-box MCP tests. Not committed, not installed with
# scifind: DEST is a folder under the build directory.
#
# Usage: scripts/mcp-sdk.sh DEST
#
# Does nothing when DEST already holds this lock file's install. Exits 77
# (the test suite's "skipped") without node or npm, 1 when npm fails.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC="$HERE/../test/mcp"
DEST=${1:?usage: scripts/mcp-sdk.sh DEST}

command -v node >/dev/null && command -v npm >/dev/null || {
    echo "mcp-sdk: node and npm are needed (scripts/install-deps.sh test)" >&2
    exit 77
}
mkdir -p "$DEST"
if cmp -s "$SRC/package-lock.json" "$DEST/package-lock.json" &&
   [ -f "$DEST/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
    exit 0
fi
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
cd "$DEST"
npm ci --no-audit --no-fund --loglevel=error >&2
