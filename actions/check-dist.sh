#!/usr/bin/env bash
# Proves the committed dist/ is what actions/build.mjs makes from the current
# sources and node_modules: rebuilds into a temporary directory and compares.
# Exit 1 (with the differing files) when dist/ is stale: run `node actions/build.mjs`
# (npm run build:action) and commit dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

node actions/build.mjs --outdir "$tmp/dist" >/dev/null
if [ ! -d dist ]; then
  echo "check-dist: dist/ is missing; run node actions/build.mjs and commit it" >&2
  exit 1
fi
if ! diff -r -q dist "$tmp/dist" >"$tmp/differences"; then
  echo "check-dist: dist/ differs from a fresh build of the sources:" >&2
  sed 's/^/  /' "$tmp/differences" >&2
  diff -r -u dist "$tmp/dist" | head -n 40 >&2 || true
  echo "check-dist: run node actions/build.mjs (npm run build:action) and commit dist/" >&2
  exit 1
fi
echo "check-dist: dist/ matches a fresh build"
