#!/usr/bin/env bash
# One script for the demo, the tests and the benchmarks: installs Debian's
# docker.io (and podman) when missing and runs a private engine that touches
# nothing else on the machine (own data root, own socket, no network setup).
#
#   scripts/engine.sh start [NAME]     start dockerd NAME (default "test"), print its DOCKER_HOST
#   scripts/engine.sh stop [NAME]      stop it
#   scripts/engine.sh reset [NAME]     stop, wipe its data, start again
#   scripts/engine.sh podman-start|podman-stop|podman-reset [NAME]
#   scripts/engine.sh install          only install the packages
set -euo pipefail

cmd=${1:-start}
name=${2:-test}
base=${DIC_ENGINE_DIR:-/tmp/docker-image-cleanup-engines}/$name
sock=$base/docker.sock
# podman refuses a runroot longer than 50 characters: keep it short
prun=/tmp/dic-pm-$(printf '%s' "$name" | cksum | cut -d' ' -f1)

log() { echo "engine: $*" >&2; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v podman >/dev/null || missing+=(podman)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then log "need root to install ${missing[*]}"; exit 1; fi
    log "installing ${missing[*]} (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  fi
}

wait_for_socket() {
  local s=$1 pidfile=$2 logfile=$3
  for _ in $(seq 1 150); do
    if curl -sf --unix-socket "$s" http://localhost/_ping >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "daemon exited; last log lines:"; tail -n 20 "$logfile" >&2; exit 1
    fi
    sleep 0.2
  done
  log "socket $s did not answer in 30 s"; tail -n 20 "$logfile" >&2; exit 1
}

start_docker() {
  install_packages
  mkdir -p "$base/data" "$base/exec"
  if [ -f "$base/dockerd.pid" ] && kill -0 "$(cat "$base/dockerd.pid")" 2>/dev/null; then
    echo "unix://$sock"; return 0
  fi
  rm -f "$sock"
  # vfs works on any filesystem; no bridge/iptables because the sandbox has no
  # network to manage (containers run with --network none).
  setsid dockerd --data-root "$base/data" --exec-root "$base/exec" -H "unix://$sock" \
    --pidfile "$base/daemon.pid" --iptables=false --ip6tables=false --bridge=none \
    --storage-driver=vfs >"$base/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$base/dockerd.pid"
  wait_for_socket "$sock" "$base/dockerd.pid" "$base/dockerd.log"
  log "dockerd '$name' ready at unix://$sock"
  echo "unix://$sock"
}

stop_pid() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_docker() {
  stop_pid "$base/dockerd.pid"
  # dockerd leaves containerd shims, its pid file and mounts behind when killed hard
  pkill -f "containerd.*$base" 2>/dev/null || true
  rm -f "$base/daemon.pid"
  { grep -o " $base/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

podman_start() {
  install_packages
  local pbase=$base-podman psock=$base-podman/podman.sock
  mkdir -p "$pbase/root" "$prun"
  if [ -f "$pbase/podman.pid" ] && kill -0 "$(cat "$pbase/podman.pid")" 2>/dev/null; then
    echo "unix://$psock"; return 0
  fi
  rm -f "$psock"
  setsid podman --storage-driver vfs --root "$pbase/root" --runroot "$prun" \
    system service --time 0 "unix://$psock" >"$pbase/podman.log" 2>&1 < /dev/null &
  echo $! > "$pbase/podman.pid"
  wait_for_socket "$psock" "$pbase/podman.pid" "$pbase/podman.log"
  log "podman '$name' ready at unix://$psock"
  echo "unix://$psock"
}

case "$cmd" in
  install) install_packages ;;
  start) start_docker ;;
  stop) stop_docker ;;
  reset) stop_docker; rm -rf "$base/data" "$base/exec"; start_docker ;;
  podman-start) podman_start ;;
  podman-stop) stop_pid "$base-podman/podman.pid" ;;
  podman-reset) stop_pid "$base-podman/podman.pid"; rm -rf "$base-podman" "$prun"; podman_start ;;
  *) echo "usage: $0 start|stop|reset|podman-start|podman-stop|podman-reset|install [NAME]" >&2; exit 2 ;;
esac
