#!/usr/bin/env bash
# `npm run bench [-- --images N] [--stores graphdriver,containerd,containerd28]`: builds, and
# bench/bench.ts starts and resets its private engines with scripts/engine.sh
# (the same script the demo and tests use): dockerd 20.10 on its graph driver,
# dockerd 26.1 and dockerd 28 (sid, containerd 2) on the containerd image store, named
# $DIC_BENCH_ENGINE (default "bench"; give your own name when several checkouts bench at once).
# `npm run bench -- --sweep`: the concurrency measurement behind the per-store constants;
# `--profile`: one round with each run's timeline per endpoint; `--calls`: each snapshot read alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
export DIC_BENCH_ENGINE=${DIC_BENCH_ENGINE:-bench}
# installs docker.io when missing: dockerd and /usr/bin/docker (the rmi loop's CLI)
scripts/engine.sh install
trap 'scripts/engine.sh stop "$DIC_BENCH_ENGINE"; scripts/engine.sh c8d-stop "$DIC_BENCH_ENGINE"; scripts/engine.sh c28-stop "$DIC_BENCH_ENGINE"' EXIT
node lib/bench/bench.js "$@"
