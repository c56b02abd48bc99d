#!/usr/bin/env bash
# `npm run bench [-- --images N]`: builds, starts the private engine "bench"
# (scripts/engine.sh, the same one the demo and tests use) and runs bench/bench.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
DIC_BENCH_DOCKER_HOST=$(scripts/engine.sh reset bench)
export DIC_BENCH_DOCKER_HOST
trap 'scripts/engine.sh stop bench' EXIT
node lib/bench/bench.js "$@"
