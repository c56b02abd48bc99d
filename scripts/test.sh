#!/usr/bin/env bash
# The README's test command: sets up everything it needs on a fresh machine
# (npm deps, Debian's docker.io and podman, private engines) and runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 24 runs npm ci, the build and the full suite: the fronts run on it in production (GitHub
# node24, Azure Node24), and the development dependencies need Node 22 or newer.
node24=$(bash scripts/node.sh 24)
PATH="$(dirname "$node24"):$PATH"
export PATH
echo "Node 24 ($(node --version)): npm ci, build, every suite"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
# Every test folder has tests and a glob here, every compiled test its source (mocha and tsc let both slip).
node scripts/check-suites.mjs
# The committed GitHub Action bundle must be what the sources build today.
bash actions/check-dist.sh
# The Azure extension must package, with its task, bundles and icon.
npm run package:vsix

# DIC_TEST_ENGINE names the private engines, so several checkouts can test at once.
engine=${DIC_TEST_ENGINE:-test}
# Four engines: dockerd 20.10 (graph driver), dockerd 26.1 and Debian unstable's dockerd 28
# (containerd image store), Podman.
cleanup() {
  scripts/engine.sh stop "$engine"; scripts/engine.sh c8d-stop "$engine"; scripts/engine.sh c28-stop "$engine"
  scripts/engine.sh podman-stop "$engine"
}
trap cleanup EXIT
docker_host=$(scripts/engine.sh reset "$engine")
c8d_host=$(scripts/engine.sh c8d-reset "$engine")
# Sid moves: when its dockerd no longer fetches or runs here, engine.sh says why in one line
# and the suite stops here (no fallback, no skip).
if ! c28_host=$(scripts/engine.sh c28-reset "$engine"); then
  echo "test.sh: Debian unstable's dockerd (the fourth real engine) did not start: see the engine: line above" >&2
  exit 1
fi
# The versions it got, named in the test titles (e.g. "28.5.2, containerd 2.1.9").
c28_version=$(docker -H "$c28_host" version --format '{{.Server.Version}}, containerd {{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}' | sed 's/+[^,]*//g')
podman_host=$(scripts/engine.sh podman-reset "$engine")

export DIC_TEST_DOCKER_HOST=$docker_host DIC_TEST_C8D_HOST=$c8d_host DIC_TEST_C28_HOST=$c28_host DIC_TEST_C28_VERSION=$c28_version
export DIC_TEST_PODMAN_HOST=$podman_host
# Each run's closing line (test/support/summary-reporter.js) lands here; checked at the end.
export DIC_TEST_SUMMARY_FILE=$(mktemp)
# The unit suites first (they check every suite's engines: all of them); then two runs side by
# side (2 cores: the engines' own work overlaps): the fronts and every real-engine suite on
# dockerd 20.10; and every real-engine suite on the two containerd stores and Podman, less the
# one-engine suites (transport, budget: dockerd 20.10 only, see test/support/suite-engines.ts).
# DIC_TEST_ENGINES picks the engines of each run; each engine is reset by one run only. A
# pending (skipped) test fails any of them.
mocha24() { npx mocha --forbid-only --forbid-pending --timeout 120000 --reporter ./test/support/summary-reporter.js "$@"; }
mocha24 'lib/test/unit/**/*.test.js' "$@"
stores_log=$(mktemp)
DIC_TEST_ENGINES=C8D,C28,PODMAN mocha24 'lib/test/engine/**/*.test.js' \
  --ignore lib/test/engine/budget.test.js --ignore lib/test/engine/operator.test.js --ignore lib/test/engine/contexts.test.js \
  --ignore lib/test/engine/ssh.test.js --ignore lib/test/engine/tls.test.js "$@" >"$stores_log" 2>&1 &
stores_pid=$!
graphdriver_rc=0
DIC_TEST_ENGINES=DOCKER mocha24 'lib/test/engine/**/*.test.js' \
  'lib/test/azure/**/*.test.js' 'lib/test/action/**/*.test.js' 'lib/test/package/**/*.test.js' \
  'lib/test/release/**/*.test.js' 'lib/test/readme-commands/**/*.test.js' "$@" || graphdriver_rc=$?
stores_rc=0
wait "$stores_pid" || stores_rc=$?
echo "Real-engine suites on dockerd 26.1, dockerd 28 (containerd stores) and Podman, run beside the above:"
cat "$stores_log"
[ "$graphdriver_rc" = 0 ] && [ "$stores_rc" = 0 ] || exit 1

# Node 20 runs only what still runs on it: the Azure task's bundles (agents 4.248.0 to 4.265.0
# pick its Node20_1 handler), the npm package installed from its tarball (engines >=20.19), and
# the TLS and ssh:// suites (Node 20's OpenSSL names TLS alerts differently). The bundles and the
# CLI they spawn run on it too (process.execPath). @types/node 20 keeps the code to Node 20's API.
node20=$(bash scripts/node.sh 20)
echo "Node 20 ($("$node20" --version)): Azure task, npm package, TLS and ssh suites"
"$node20" node_modules/mocha/bin/mocha.js --forbid-only --forbid-pending --timeout 120000 \
  --reporter ./test/support/summary-reporter.js \
  'lib/test/azure/**/*.test.js' 'lib/test/package/**/*.test.js' \
  lib/test/engine/tls.test.js lib/test/engine/ssh.test.js "$@"
node scripts/check-suites.mjs --summary "$DIC_TEST_SUMMARY_FILE"
