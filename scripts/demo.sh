#!/usr/bin/env bash
# The README's first command: the main job on a built-in demo.
#
# Works on a fresh Debian machine as root with Node 20 or newer: runs on Node 24
# (scripts/node.sh fetches it from the npm registry when the machine has another),
# installs the npm dependencies when missing, builds, starts a private engine named "demo"
# (scripts/engine.sh installs Debian's docker.io on first use; the engine has
# its own data root and socket and touches no other Docker on the machine),
# seeds it like a busy CI agent, shows the plan, applies it, and shows the
# images before and after. DIC_DEMO_ENGINE names another private engine;
# DIC_DEMO_STORE=containerd runs it on dockerd 26.1's containerd image store
# instead of dockerd 20.10's graph driver (scripts/engine.sh c8d-reset),
# DIC_DEMO_STORE=containerd28 on Debian unstable's dockerd 28 with containerd 2
# on the containerd image store (scripts/engine.sh c28-reset).
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The fronts' Node in production; the development dependencies need Node 22 or newer.
node24=$(bash scripts/node.sh 24)
PATH="$(dirname "$node24"):$PATH"
export PATH

if [ ! -d node_modules ]; then
  section "npm ci"
  npm ci --no-audit --no-fund
fi
section "build"
npm run build --silent

engine=${DIC_DEMO_ENGINE:-demo}
case "${DIC_DEMO_STORE:-graphdriver}" in
  graphdriver) engine_cmd=; stop_cmd="scripts/engine.sh stop $engine" ;;
  containerd) engine_cmd=c8d-; stop_cmd="scripts/engine.sh c8d-stop $engine" ;;
  containerd28) engine_cmd=c28-; stop_cmd="scripts/engine.sh c28-stop $engine" ;;
  *) echo "DIC_DEMO_STORE must be graphdriver, containerd or containerd28, not '${DIC_DEMO_STORE}'" >&2; exit 2 ;;
esac
section "private engine '$engine' (fresh, ${DIC_DEMO_STORE:-graphdriver} store)"
DOCKER_HOST=$(scripts/engine.sh "${engine_cmd}reset" "$engine")
export DOCKER_HOST
echo "DOCKER_HOST=$DOCKER_HOST"
# The demo's own state (usage record, inspect cache), fresh each run: a second
# demo must not read the first one's record, nor any real agent's record.
XDG_STATE_HOME="${DIC_ENGINE_DIR:-/tmp/docker-image-cleanup-engines}/$engine-state"
rm -rf "$XDG_STATE_HOME"
export XDG_STATE_HOME
echo "XDG_STATE_HOME=$XDG_STATE_HOME (the demo's usage record and inspect cache)"

section "seed: a busy self-hosted CI agent"
node lib/src/demo/main.js seed

list() {
  docker images --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
  echo
  docker ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
  echo
  docker system df
}

section "before"
list

# The agent's current build is fooproject:ci-3291; keep the 2 newest builds of
# every repository, always keep node images and anything labelled keep=true.
flags=(--keep 2 --protect 'node:*' --protect-label 'keep=true' --current 'fooproject:ci-3291')
if [ "${DIC_DEMO_STORE:-graphdriver}" != graphdriver ]; then
  # The containerd store stamps every name record with the time it was made (the
  # seed's load, seconds ago), and the seed cannot backdate it: the grace period
  # would keep every image. Here it is turned off (the concurrent job's image goes too).
  echo "containerd store: every image was named seconds ago by the seed's load, so this demo runs with --min-age 0s"
  flags+=(--min-age 0s)
fi

section "plan: docker-image-cleanup --dry-run ${flags[*]}"
node bin/docker-image-cleanup.js --dry-run "${flags[@]}"

section "apply: docker-image-cleanup ${flags[*]}"
status=0
node bin/docker-image-cleanup.js "${flags[@]}" || status=$?

section "after"
list

section "what-if: docker-image-cleanup what-if --keep 1 --max-image-bytes 100MB (the record just made, replayed; removes nothing)"
node bin/docker-image-cleanup.js what-if --keep 1 --max-image-bytes 100MB || status=$?

section "done"
echo "The demo engine is still running: DOCKER_HOST=$DOCKER_HOST docker images"
echo "Try: DOCKER_HOST=$DOCKER_HOST XDG_STATE_HOME=$XDG_STATE_HOME node bin/docker-image-cleanup.js --dry-run --json | less"
echo "Stop it with: $stop_cmd"
exit "$status"
