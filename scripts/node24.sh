#!/usr/bin/env bash
# Prints the path of a Node 24 binary, installing it once from the npm registry's `node`
# package (which ships the binary) under a cache folder; the fronts run on Node 24
# (GitHub `node24`, Azure `Node24`), so scripts/test.sh runs their suites on it too.
#
#   node24=$(bash scripts/node24.sh)      DIC_NODE24_DIR overrides the cache folder
set -euo pipefail
version=24
dir=${DIC_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-image-cleanup/node-$version}
bin=$dir/node_modules/node/bin/node
if ! "$bin" --version 2>/dev/null | grep -q "^v$version\."; then
  rm -rf "$dir" && mkdir -p "$dir"
  echo '{"name":"node24-cache","private":true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "node@$version" >&2
fi
"$bin" --version | grep -q "^v$version\." || { echo "node24: $bin is not Node $version" >&2; exit 1; }
echo "$bin"
