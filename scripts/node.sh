#!/usr/bin/env bash
# Prints the path of a Node binary of one major version: the `node` on PATH when it is that
# version, else one installed once from the npm registry's `node` package (which ships the
# binary) under a cache folder. scripts/test.sh and scripts/demo.sh run on Node 24 (the fronts'
# runtime: GitHub `node24`, Azure `Node24`; the development dependencies need Node 22 or newer),
# and the suites Node 20 still needs (the Azure task's `Node20_1` handler, the package's
# `engines`) on Node 20, whatever Node the machine has.
#
#   node24=$(bash scripts/node.sh 24)      DIC_NODE_CACHE overrides the cache folder
set -euo pipefail
version=${1:?usage: scripts/node.sh MAJOR (20, 24)}
[[ $version =~ ^[0-9]+$ ]] || { echo "node.sh: MAJOR must be a number such as 24, not '$version'" >&2; exit 2; }
system=$(command -v node || true)
if [ -n "$system" ] && "$system" --version 2>/dev/null | grep -q "^v$version\."; then
  echo "$system"
  exit 0
fi
dir=${DIC_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-image-cleanup}/node-$version
bin=$dir/node_modules/node/bin/node
if ! "$bin" --version 2>/dev/null | grep -q "^v$version\."; then
  rm -rf "$dir" && mkdir -p "$dir"
  # The package's preinstall fetches the platform's binary package from the same registry.
  echo "{\"name\":\"node$version-cache\",\"private\":true,\"allowScripts\":{\"node\":true}}" >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "node@$version" >&2
fi
"$bin" --version | grep -q "^v$version\." || { echo "node.sh: $bin is not Node $version" >&2; exit 1; }
echo "$bin"
