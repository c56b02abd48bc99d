#!/usr/bin/env bash
# One script for the demo, the tests and the benchmarks: installs Debian's
# docker.io (and podman) when missing and runs a private engine that touches
# nothing else on the machine (own data root, own socket, no network setup).
#
#   scripts/engine.sh start [NAME]     start dockerd NAME (default "test"), print its DOCKER_HOST
#   scripts/engine.sh stop [NAME]      stop it
#   scripts/engine.sh reset [NAME]     stop, wipe its data, start again
#   scripts/engine.sh c8d-start|c8d-stop|c8d-reset [NAME]
#                                      the same with Debian trixie's dockerd 26.1 on the
#                                      containerd image store (fetched once into a cache)
#   scripts/engine.sh c28-start|c28-stop|c28-reset [NAME]
#                                      the same with Debian unstable's dockerd 28 (or newer)
#                                      and containerd 2 on the containerd image store
#   scripts/engine.sh podman-start|podman-stop|podman-reset [NAME]
#   scripts/engine.sh tls-start|tls-reset NAME CERT_DIR PORT
#                                      dockerd NAME (as start) that also listens on tcp://127.0.0.1:PORT
#                                      with --tlsverify (CERT_DIR: ca.pem, server-cert.pem, server-key.pem);
#                                      prints its unix:// and then its tcp:// address; stop with stop NAME
#   scripts/engine.sh sshd             print the path of an sshd (Debian's openssh-server and -client
#                                      for this release, fetched once into a cache; nothing installed)
#   scripts/engine.sh promtool         print the path of promtool (Debian's prometheus package for this
#                                      release, fetched once into a cache; nothing installed or started)
#   scripts/engine.sh install          only install the packages
set -euo pipefail

cmd=${1:-start}
name=${2:-test}
engines=${DIC_ENGINE_DIR:-/tmp/docker-image-cleanup-engines}
base=$engines/$name
# podman refuses a runroot longer than 50 characters: keep it short
prun=/tmp/dic-pm-$(printf '%s' "$name" | cksum | cut -d' ' -f1)

log() { echo "engine: $*" >&2; }

# install_packages [docker] [busybox] [podman]: the Debian packages a command needs
# (none named: all three, for `install`); waits while another apt/dpkg holds its lock.
install_packages() {
  local want=("$@") missing=()
  [ ${#want[@]} -gt 0 ] || want=(docker busybox podman)
  for w in "${want[@]}"; do
    case $w in
      docker) command -v dockerd >/dev/null || missing+=(docker.io) ;;
      busybox) [ -x /bin/busybox ] || missing+=(busybox-static) ;;
      podman) command -v podman >/dev/null || missing+=(podman) ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then log "need root to install ${missing[*]}"; exit 1; fi
    log "installing ${missing[*]} (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt_locked update -qq
    apt_locked install -y -qq "${missing[@]}"
  fi
}

# apt-get, retried for up to 10 minutes while another apt or dpkg (unattended-upgrades,
# a second first run) holds the lock, instead of failing on "Could not get lock".
apt_locked() {
  local out
  for attempt in $(seq 1 120); do
    if out=$(apt-get "$@" 2>&1); then return 0; fi
    if ! grep -qE 'Could not get lock|Unable to lock|Unable to acquire' <<<"$out"; then printf '%s\n' "$out" >&2; return 1; fi
    [ "$attempt" = 1 ] && log "another apt or dpkg holds the lock ($(grep -m1 -oE '/var/lib/[a-z/_-]*lock[a-z-]*' <<<"$out")); waiting for it (up to 10 minutes)"
    sleep 5
  done
  printf '%s\n' "$out" >&2
  return 1
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

# private_apt DIR SUITE: apt-get options for a private apt folder under DIR with a one-line
# source list for SUITE of Debian's archive (the system's sources, lists, caches and dpkg
# state stay untouched); prints one option per line.
private_apt() {
  local apt=$1 suite=$2
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/cache" "$apt/parts"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$apt/sources.list"
  printf '%s\n' -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts" -o "Dir::State::Lists=$apt/lists" \
    -o "Dir::Cache=$apt/cache" -o "Dir::Cache::Archives=$apt/archives" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$apt/parts" -o APT::Sandbox::User=root
}

# fetch_unpacked CACHE BIN CHECK WHAT PACKAGE...: this release's Debian PACKAGEs, fetched once
# with a private apt folder and unpacked with dpkg -x into CACHE/root (nothing installed or
# started); CHECK ROOT must pass on the unpacked tree before it is kept. Prints CACHE/root/BIN.
fetch_unpacked() {
  local cache=$1 bin=$1/root/$2 check=$3 what=$4; shift 4
  [ -x "$bin" ] && { echo "$bin"; return 0; }
  mkdir -p "$cache"
  exec 9>"$cache.lock"
  flock 9   # several suites may ask at once: one fetch
  if [ ! -x "$bin" ]; then
    local apt=$cache/apt suite opts
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    rm -rf "$apt" "$cache/root"
    mapfile -t opts < <(private_apt "$apt" "$suite")
    log "fetching Debian $suite's $what (private apt folder $apt)"
    apt-get -qq "${opts[@]}" update >&2
    (cd "$apt/archives" && apt-get -qq "${opts[@]}" download "$@" >&2)
    local tmp=$cache/root.tmp
    rm -rf "$tmp"; mkdir -p "$tmp"
    for deb in "$apt"/archives/*.deb; do dpkg -x "$deb" "$tmp"; done
    "$check" "$tmp"
    mv "$tmp" "$cache/root"
    log "cached $what in $cache/root"
  fi
  exec 9>&-
  echo "$bin"
}

# openssh-server (sshd) for the ssh:// tests (an sshd on the loopback); openssh-client for
# ssh-keygen, ssh-agent and ssh-add (the tests use these, not the system's); libwrap0: the
# library sshd needs beyond what openssh-client needs. sshd re-executes itself by its absolute
# path: a wrapper would lose the library path, so its caller sets LD_LIBRARY_PATH to the cached
# lib folders (test/engine/ssh.test.ts).
sshd_runs() {
  local missing
  missing=$(for b in usr/sbin/sshd usr/bin/ssh-keygen usr/bin/ssh-agent usr/bin/ssh-add; do LD_LIBRARY_PATH=$(sshd_libs "$1") ldd "$1/$b"; done | grep 'not found' || true)
  [ -z "$missing" ] || { log "sshd still lacks libraries: $missing"; exit 1; }
}
fetch_sshd() { fetch_unpacked "$engines/.cache/openssh-server" usr/sbin/sshd sshd_runs openssh-server openssh-server openssh-client libwrap0; }

# promtool, from the prometheus package (installing it would start a server), for the tests of
# the alert rules and the dashboard's queries.
promtool_runs() { "$1/usr/bin/promtool" --version >/dev/null 2>&1 || { log "promtool from this release's prometheus package does not run here"; exit 1; }; }
fetch_promtool() { fetch_unpacked "$engines/.cache/promtool" usr/bin/promtool promtool_runs "prometheus package (promtool)" prometheus; }

# The library folders of an unpacked root, for LD_LIBRARY_PATH.
sshd_libs() { printf '%s:%s' "$1/lib/x86_64-linux-gnu" "$1/usr/lib/x86_64-linux-gnu"; }

# A Debian suite's docker.io and containerd, fetched with a private apt folder (the system's
# sources, lists, caches and dpkg state stay untouched) and unpacked with dpkg -x into
# $engines/.cache/SUITE-docker/root. Reused when present.
#   fetch_store_engine SUITE DOCKER_VERSION_GLOB CONTAINERD_VERSION_GLOB
# trixie: docker.io 26.1, containerd 1.7. sid moves: its versions are checked against what
# engine-facts found (28.x or newer, containerd 2.x) and printed; a sid that no longer fits fails
# here with one line, never a silent fallback.
fetch_store_engine() {
  local suite=$1 want_docker=$2 want_containerd=$3
  local cache=$engines/.cache/$suite-docker
  [ -x "$cache/root/usr/sbin/dockerd" ] && [ -x "$cache/root/usr/bin/containerd" ] && return 0
  mkdir -p "$cache"
  exec 9>"$cache.lock"
  flock 9   # several engines may start at once: one fetch
  if [ -x "$cache/root/usr/sbin/dockerd" ] && [ -x "$cache/root/usr/bin/containerd" ]; then exec 9>&-; return 0; fi
  local apt=$cache/apt opts
  rm -rf "$apt" "$cache/root"
  mapfile -t opts < <(private_apt "$apt" "$suite")
  log "fetching Debian $suite's docker.io and containerd (private apt folder $apt)"
  apt-get -qq "${opts[@]}" update >&2
  local dv cv
  dv=$(apt-cache "${opts[@]}" policy docker.io | awk '/Candidate:/ {print $2}')
  cv=$(apt-cache "${opts[@]}" policy containerd | awk '/Candidate:/ {print $2}')
  # shellcheck disable=SC2053 # the globs are meant as patterns
  [[ $dv == $want_docker ]] || { log "Debian $suite's docker.io is '$dv', expected $want_docker"; exit 1; }
  [[ $cv == $want_containerd ]] || { log "Debian $suite's containerd is '$cv', expected $want_containerd"; exit 1; }
  (cd "$apt/archives" && apt-get -qq "${opts[@]}" download "docker.io=$dv" "containerd=$cv" >&2)
  local tmp=$cache/root.tmp
  rm -rf "$tmp"; mkdir -p "$tmp"
  for deb in "$apt"/archives/*.deb; do dpkg -x "$deb" "$tmp"; done
  # trixie's and sid's runc need glibc 2.38: bookworm's runc (on PATH after these) runs the containers
  rm -f "$tmp/usr/sbin/runc" "$tmp/usr/bin/runc"
  echo "docker.io $dv, containerd $cv" >"$tmp/VERSIONS"
  mv "$tmp" "$cache/root"
  exec 9>&-
  log "cached $(cat "$cache/root/VERSIONS") in $cache/root"
}

# start_dockerd DIR LABEL [extra dockerd arguments]: a private dockerd with its
# data root, exec root and socket under DIR (so its own containerd too).
start_dockerd() {
  local dir=$1 label=$2; shift 2
  local s=$dir/docker.sock
  mkdir -p "$dir/data" "$dir/exec"
  if [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
    echo "unix://$s"; return 0
  fi
  rm -f "$s"
  # no bridge/iptables because the sandbox has no network to manage
  # (containers run with --network none).
  setsid dockerd --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$s" \
    --pidfile "$dir/daemon.pid" --iptables=false --ip6tables=false --bridge=none \
    "$@" >"$dir/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$dir/dockerd.pid"
  wait_for_socket "$s" "$dir/dockerd.pid" "$dir/dockerd.log"
  log "$label '$name' ready at unix://$s"
  echo "unix://$s"
}

start_docker() {
  install_packages docker busybox
  # vfs works on any filesystem
  start_dockerd "$base" dockerd --storage-driver=vfs
}

# dockerd on the containerd image store, from a Debian suite's packages (c8d: trixie's 26.1;
# c28: sid's 28.x with containerd 2). dockerd starts its own containerd with root under the
# data root and state + socket under the exec root, so each NAME has its own containerd and
# several run at once.
#   start_store_engine DIR SUITE LABEL
start_store_engine() {
  local dir=$1 suite=$2 label=$3
  install_packages docker busybox   # busybox and bookworm's runc
  case $suite in
    trixie) fetch_store_engine trixie '26.1.*' '1.7.*' ;;
    sid) fetch_store_engine sid '2[89].*' '2.*' ;;
  esac
  mkdir -p "$dir"
  echo '{"features":{"containerd-snapshotter":true}}' >"$dir/daemon.json"
  local root=$engines/.cache/$suite-docker/root
  # native works on any filesystem (the snapshotter's counterpart of vfs)
  PATH="$root/usr/sbin:$root/usr/bin:$PATH" start_dockerd "$dir" "$label ($(cat "$root/VERSIONS"), containerd store)" \
    --config-file "$dir/daemon.json" --storage-driver=native
  local driver
  driver=$(curl -sf --unix-socket "$dir/docker.sock" http://localhost/info | grep -o '"driver-type","[^"]*"' || true)
  case "$driver" in *io.containerd.snapshotter.v1*) ;; *) log "dockerd '$name' is not on the containerd store (DriverStatus: ${driver:-none})"; exit 1 ;; esac
}

# A dockerd 20.10 that also serves the Engine API over TLS on the loopback, clients
# verified against CERT_DIR/ca.pem (the unix socket stays, for the test harness).
start_tls() {
  local certs=${1:?CERT_DIR} port=${2:?PORT}
  install_packages docker busybox
  start_dockerd "$base" "dockerd (TLS on 127.0.0.1:$port)" --storage-driver=vfs -H "tcp://127.0.0.1:$port" \
    --tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/server-cert.pem" --tlskey "$certs/server-key.pem"
  echo "tcp://127.0.0.1:$port"
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

# stop_docker [DIR]: stops the dockerd under DIR (default: this NAME's).
stop_docker() {
  local dir=${1:-$base}
  stop_pid "$dir/dockerd.pid"
  # dockerd leaves containerd shims, its pid file and mounts behind when killed hard
  # (the trailing slash: stopping "a" must not touch "a-c8d" or "a-x")
  pkill -f "containerd.*$dir/" 2>/dev/null || true
  rm -f "$dir/daemon.pid"
  { grep -o " $dir/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

podman_start() {
  install_packages podman busybox
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
  c8d-start) start_store_engine "$base-c8d" trixie dockerd ;;
  c8d-stop) stop_docker "$base-c8d" ;;
  c8d-reset) stop_docker "$base-c8d"; rm -rf "$base-c8d/data" "$base-c8d/exec"; start_store_engine "$base-c8d" trixie dockerd ;;
  c28-start) start_store_engine "$base-c28" sid dockerd ;;
  c28-stop) stop_docker "$base-c28" ;;
  c28-reset) stop_docker "$base-c28"; rm -rf "$base-c28/data" "$base-c28/exec"; start_store_engine "$base-c28" sid dockerd ;;
  podman-start) podman_start ;;
  podman-stop) stop_pid "$base-podman/podman.pid" ;;
  podman-reset) stop_pid "$base-podman/podman.pid"; rm -rf "$base-podman" "$prun"; podman_start ;;
  sshd) fetch_sshd ;;
  promtool) fetch_promtool ;;
  tls-start) start_tls "${3:-}" "${4:-}" ;;
  tls-reset) stop_docker; rm -rf "$base/data" "$base/exec"; start_tls "${3:-}" "${4:-}" ;;
  *) echo "usage: $0 start|stop|reset|c8d-start|c8d-stop|c8d-reset|c28-start|c28-stop|c28-reset|podman-start|podman-stop|podman-reset|tls-start|tls-reset|sshd|promtool|install [NAME]" >&2; exit 2 ;;
esac
