#!/usr/bin/env bash
# docker-image-cleanup as a GitHub Actions runner job hook. Name this file in both variables,
# in the runner's .env (then restart the runner):
#   ACTIONS_RUNNER_HOOK_JOB_STARTED=/path/to/docker-image-cleanup/bin/runner-hook.sh
#   ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/path/to/docker-image-cleanup/bin/runner-hook.sh
# Settings go in the same .env, one variable per flag: DOCKER_IMAGE_CLEANUP_KEEP=3,
# DOCKER_IMAGE_CLEANUP_MIN_AGE=6h, ... (see docs; arguments given to this script are flags too).
# The runner runs it with bash -e and fails the job on a non-zero exit, so even a missing Node
# is a warning unless DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR is true.
# Bash alone up to Node (no dirname or tr): the runner's PATH may hold little.
script=${BASH_SOURCE[0]}
here=${script%/*}
[ "$here" != "$script" ] || here=.
node=${DOCKER_IMAGE_CLEANUP_NODE:-$(command -v node || true)}
if [ -z "$node" ] || [ ! -x "$node" ]; then
  echo "::warning title=docker-image-cleanup runner hook::docker-image-cleanup: no Node.js found (not on PATH, and DOCKER_IMAGE_CLEANUP_NODE is not set); nothing was cleaned"
  fail_on_error=${DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR:-}
  case ${fail_on_error,,} in
    true | yes | 1) exit 2 ;;
  esac
  exit 0
fi
exec "$node" "$here/docker-image-cleanup.js" runner-hook "$@"
