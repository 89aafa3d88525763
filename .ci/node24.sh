#!/usr/bin/env bash
# Runs the test suite on Node.js 24 (the repository's own `node` is Node 20). Node 24 comes from the
# npm registry (`bench/node24`, the `node` package, whose platform package carries the headers).
# The Node 20 install is left as it was. Needs only the npm registry.
# Usage: bash .ci/node24.sh [vitest arguments, e.g. a path]   (expects `npm run build` to have run)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

echo "== node 24: install"
npm install --prefix bench/node24 --no-audit --no-fund --loglevel=error
node24="$repo/bench/node24/node_modules/node/bin/node"
"$node24" --version

# better-sqlite3 12 (what @spool/sqlite installs on Node 20) aborts on Node 24 when a statement is
# released (Node 24's ObjectWrap registers environment cleanup hooks that its destructor trips
# over); better-sqlite3 13, rewritten on Node-API, needs Node 22 or later. So the Node 24 run uses
# 13, as a Node 24 user must (docs/node-versions.md): installed and compiled against Node 24's
# headers once into .ci/out/node24, then put in place of the Node 20 one for the run only.
overlay="$repo/.ci/out/node24"
addon="$overlay/node_modules/better-sqlite3"
abi="$("$node24" -p process.versions.modules)"
if [ ! -f "$addon/build/Release/better_sqlite3.node" ] || [ "$(cat "$overlay/abi" 2>/dev/null)" != "$abi" ]; then
  echo "== node 24: install and compile better-sqlite3 13 for ABI $abi"
  rm -rf "$overlay" && mkdir -p "$overlay"
  echo '{ "name": "node24-overlay", "private": true }' > "$overlay/package.json"
  # The headers to compile against: the platform package of the `node` package (the whole release).
  platform="node-$("$node24" -p "process.platform + '-' + process.arch")@$("$node24" -p 'process.version.slice(1)')"
  npm install --prefix "$overlay" --no-audit --no-fund --loglevel=error --ignore-scripts better-sqlite3@^13.2.0 "$platform"
  headers="$(ls -d "$overlay"/node_modules/node-*/include/node/node_version.h)"
  headers="${headers%/include/node/node_version.h}"
  (cd "$addon" && PATH="$(dirname "$node24"):$PATH" npm_config_nodedir="$headers" npm run build-release --silent -- --jobs 2 >/dev/null)
  echo "$abi" > "$overlay/abi"
fi

installed="$repo/node_modules/better-sqlite3"
restore() { if [ -d "$installed.node20" ]; then rm -f "$installed"; mv "$installed.node20" "$installed"; fi; }
trap restore EXIT
mv "$installed" "$installed.node20"
ln -s "$addon" "$installed"
echo "better-sqlite3 for node 24: $(node -p "require('$addon/package.json').version")"

echo "== node 24: test"
PATH="$(dirname "$node24"):$PATH" "$node24" node_modules/vitest/vitest.mjs run "$@"
