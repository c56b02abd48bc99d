#!/usr/bin/env bash
# The README's test command: sets up everything it needs on a fresh machine
# (npm deps, Debian's docker.io and podman, private engines) and runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."

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
# Three engines: dockerd 20.10 (graph driver), dockerd 26.1 (containerd image store), Podman.
cleanup() { scripts/engine.sh stop "$engine"; scripts/engine.sh c8d-stop "$engine"; scripts/engine.sh podman-stop "$engine"; }
trap cleanup EXIT
docker_host=$(scripts/engine.sh reset "$engine")
c8d_host=$(scripts/engine.sh c8d-reset "$engine")
podman_host=$(scripts/engine.sh podman-reset "$engine")

export DIC_TEST_DOCKER_HOST=$docker_host DIC_TEST_C8D_HOST=$c8d_host DIC_TEST_PODMAN_HOST=$podman_host
# Each run's closing line (test/support/summary-reporter.js) lands here; checked at the end.
export DIC_TEST_SUMMARY_FILE=$(mktemp)
# Unit and real-engine suites in one run; a pending (skipped) test fails it.
npx mocha --forbid-only --forbid-pending --timeout 120000 \
  --reporter ./test/support/summary-reporter.js \
  'lib/test/unit/**/*.test.js' 'lib/test/engine/**/*.test.js' \
  'lib/test/azure/**/*.test.js' 'lib/test/action/**/*.test.js' 'lib/test/package/**/*.test.js' \
  'lib/test/release/**/*.test.js' 'lib/test/readme-commands/**/*.test.js' "$@"

# The fronts run on Node 24 (GitHub node24, Azure Node24): the unit, front and npm package
# suites again on it; the bundles and the CLI they spawn run on it too (process.execPath).
# The TLS and ssh:// suites too: Node 24's OpenSSL names TLS alerts differently.
node24=$(bash scripts/node24.sh)
echo "Node 24 ($("$node24" --version)): unit, Azure task, Action, npm package, TLS and ssh suites"
"$node24" node_modules/mocha/bin/mocha.js --forbid-only --forbid-pending --timeout 120000 \
  --reporter ./test/support/summary-reporter.js \
  'lib/test/unit/**/*.test.js' 'lib/test/azure/**/*.test.js' 'lib/test/action/**/*.test.js' 'lib/test/package/**/*.test.js' \
  lib/test/engine/tls.test.js lib/test/engine/ssh.test.js "$@"
node scripts/check-suites.mjs --summary "$DIC_TEST_SUMMARY_FILE"
