#!/usr/bin/env bash
# `npm run bench [-- --images N]`: builds, starts the private engine "bench"
# (scripts/engine.sh, the same one the demo and tests use) and runs bench/bench.ts,
# which resets that engine before each measured method.
# `npm run bench -- --sweep`: the concurrency measurement behind the engine constants.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
# installs docker.io when missing: dockerd and /usr/bin/docker (the rmi loop's CLI)
DIC_BENCH_DOCKER_HOST=$(scripts/engine.sh reset bench)
export DIC_BENCH_DOCKER_HOST
trap 'scripts/engine.sh stop bench' EXIT
node lib/bench/bench.js "$@"
