#!/usr/bin/env bash
# Starts Fopflow's local image registry: Debian's docker-registry (distribution v2) with
# docker/registry.yml, on loopback, no auth, storage on disk. UFOP images are pushed here.
#
# Idempotent: when something already answers `GET /v2/` with 200 at the address, nothing is
# started. Otherwise the registry is started detached (it outlives this script) and the script
# waits until it answers. Needs no root and no npm build; node (already required) does the probing,
# so a fresh machine needs no curl.
#
# Env:
#   FOPFLOW_REGISTRY_ADDR  host:port to listen on (default 127.0.0.1:5000). Docker pushes plain
#                          HTTP only to loopback without an insecure-registries setting.
#   FOPFLOW_REGISTRY_DIR   image storage (default .data/registry under the repository)
#   FOPFLOW_REGISTRY_LOG   log file (default .data/registry.log); the pid goes beside it (.pid for .log)
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${FOPFLOW_REGISTRY_ADDR:-127.0.0.1:5000}
data_dir=${FOPFLOW_REGISTRY_DIR:-.data/registry}
log_file=${FOPFLOW_REGISTRY_LOG:-.data/registry.log}
pid_file=${log_file%.log}.pid
config=docker/registry.yml
start_timeout_s=30

log() { printf '[registry] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $addr =~ ^[^:/[:space:]]+:[0-9]+$ ]] || die "FOPFLOW_REGISTRY_ADDR must be host:port, got '$addr'"
command -v node >/dev/null || die "node is not installed (it probes the registry)"

# Prints the HTTP status of GET /v2/, or 0 when nothing answers.
probe() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((answer) => console.log(answer.status), () => console.log(0));
  ' "http://$addr/v2/"
}

status=$(probe)
if [ "$status" = 200 ]; then
  log "already answering at http://$addr/v2/"
  exit 0
fi
if [ "$status" != 0 ]; then
  die "something else listens on $addr (GET /v2/ answered $status, not 200): stop it, or set FOPFLOW_REGISTRY_ADDR to a free host:port"
fi

command -v docker-registry >/dev/null || die "docker-registry is not installed: apt-get install -y docker-registry"
case ${addr%:*} in
  127.*|localhost) ;;
  *) log "warning: $addr is not loopback; Docker will refuse plain-HTTP pushes there unless it is listed in the engine's insecure-registries" ;;
esac

mkdir -p "$data_dir" "$(dirname "$log_file")" "$(dirname "$pid_file")"
# The filesystem driver wants an absolute root directory.
data_dir=$(cd "$data_dir" && pwd)

log "starting docker-registry on $addr (storage: $data_dir, log: $log_file)"
# setsid: the registry must outlive this script and must not get the caller's Ctrl-C.
# REGISTRY_* variables override the matching keys of the config file (distribution's own rule).
REGISTRY_HTTP_ADDR=$addr REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=$data_dir \
  setsid nohup docker-registry serve "$config" >"$log_file" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pid_file"

for _ in $(seq 1 $((start_timeout_s * 4))); do
  [ "$(probe)" = 200 ] && { log "answering at http://$addr/v2/ (pid $pid)"; exit 0; }
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$log_file" >&2 || true
    die "docker-registry exited at start (log above: $log_file)"
  fi
  sleep 0.25
done
tail -n 20 "$log_file" >&2 || true
die "docker-registry did not answer at http://$addr/v2/ within $start_timeout_s s (log above: $log_file)"
