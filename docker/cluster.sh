#!/usr/bin/env bash
# A three-node Docker Swarm on this one machine, for trying Fopflow across nodes without more
# hosts: a manager and two workers, each its own dockerd in a network namespace of its own, all
# on one host bridge with a private /24, plus an image registry every node pulls from.
#
#   bash docker/cluster.sh up            # or: npm run cluster:up   (idempotent)
#   bash docker/cluster.sh push IMAGE…   # copies images of the default engine into the registry
#   bash docker/cluster.sh status        # nodes, and the settings to use the cluster (cluster.env)
#   bash docker/cluster.sh down          # or: npm run cluster:down (removes everything up made)
#
# Layout (defaults; FOPFLOW_CLUSTER_SUBNET changes the first three octets):
#   bridge fopcl0            100.90.13.1/24 on the host: the registry listens here, nodes reach it
#   netns fopcl-manager      eth0 100.90.13.11, dockerd unix:///run/fopflow-cluster/manager/docker.sock
#   netns fopcl-worker1      eth0 100.90.13.12, dockerd …/worker1/docker.sock
#   netns fopcl-worker2      eth0 100.90.13.13, dockerd …/worker2/docker.sock
#   registry                 pulled from at 100.90.13.1:5100 (every node lists it as insecure),
#                            pushed to at 127.0.0.1:5100: two docker-registry processes on one
#                            storage directory, because the default engine pushes plain HTTP only
#                            to loopback and must not be reconfigured for this
# 100.64.0.0/10 (shared address space) is used by neither Docker's bridge pools (172.17-31.x,
# 192.168.x) nor swarm's default overlay pool (10.0.0.0/8), so nothing clashes with the default
# engine's networks or with what the nodes' own engines create inside their namespaces.
#
# Why it works on one machine:
# - Each dockerd is started with `nsenter --net=/var/run/netns/<ns>`: only the network namespace
#   changes. `ip netns exec` would also remount /sys, hiding the cgroup mounts dockerd needs.
#   Each has its own --data-root, --exec-root (its own containerd under it), socket, pid file and
#   containerd namespace, --bridge=none (swarm tasks use the docker_gwbridge each node makes in
#   its own namespace) and an empty --config-file, so /etc/docker/daemon.json never applies.
# - The nodes' eth0 are veth peers of ports on the fopcl0 bridge: one layer-2 segment, so the
#   swarm ports (2377/tcp control, 7946/tcp+udp gossip, 4789/udp VXLAN for overlay networks) need
#   no routing or IP forwarding between them. Bridged frames do pass the host's iptables FORWARD
#   chain (br_netfilter, loaded by Docker), whose policy Docker sets to DROP: one ACCEPT rule for
#   fopcl0 → fopcl0 lets them through, and one INPUT rule lets the nodes reach the registry.
#   Both carry the comment `fopflow-cluster`, and down deletes exactly those.
# - Every node shares the host's filesystem (only the network is separate), so a host path
#   bind-mounted into a task exists on every node; that is the one way this differs from real hosts.
#
# Needs root, iproute2 (ip), util-linux (nsenter), iptables, docker.io (dockerd) and
# docker-registry. It never talks to the default engine except `push` (docker tag/push/rmi of a
# tag of its own), and leaves the default engine's swarm alone.
#
# Env:
#   FOPFLOW_CLUSTER_SUBNET    first three octets of the /24 (default 100.90.13)
#   FOPFLOW_CLUSTER_REGISTRY_PORT  the registry's port on both addresses (default 5100)
#   FOPFLOW_CLUSTER_IMAGES    images of the default engine that `up` pushes (default: the platform's
#                             fopflow/{worker,gateway,scaler,redis}:latest that exist; empty: none)
#   FOPFLOW_CLUSTER_DIR       state: data roots and registry storage (default /var/lib/fopflow-cluster)
#   FOPFLOW_CLUSTER_LOG_DIR   daemon logs, kept after down for a look (default /var/log/fopflow-cluster)
set -euo pipefail
cd "$(dirname "$0")/.."
. docker/lock.sh
run_locked cluster "$@"

prefix=${FOPFLOW_CLUSTER_SUBNET:-100.90.13}
registry_port=${FOPFLOW_CLUSTER_REGISTRY_PORT:-5100}
state_dir=${FOPFLOW_CLUSTER_DIR:-/var/lib/fopflow-cluster}
log_dir=${FOPFLOW_CLUSTER_LOG_DIR:-/var/log/fopflow-cluster}
# Short on purpose: containerd's sockets live under it and Unix socket paths stop at 108 bytes.
run_dir=/run/fopflow-cluster
bridge=fopcl0
host_ip=$prefix.1
nodes=(manager worker1 worker2)
declare -A node_ip=([manager]=$prefix.11 [worker1]=$prefix.12 [worker2]=$prefix.13)
pull_registry=$host_ip:$registry_port
push_registry=127.0.0.1:$registry_port
rule_comment=fopflow-cluster
env_file=$run_dir/cluster.env
dockerd_timeout_s=60
ready_timeout_s=60
platform_images=(fopflow/worker:latest fopflow/gateway:latest fopflow/scaler:latest fopflow/redis:latest)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $prefix =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "FOPFLOW_CLUSTER_SUBNET must be three octets like 100.90.13, got '$prefix'"

netns() { echo "fopcl-$1"; }
host_veth() { echo "fc-$1"; }
socket() { echo "$run_dir/$1/docker.sock"; }
node_docker() { local node=$1; shift; docker -H "unix://$(socket "$node")" "$@"; }
answers() { node_docker "$1" info --format '{{.ID}}' >/dev/null 2>&1; }
swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unreachable; }

need_tools() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, dockerd): run it with sudo"
  local tool missing=()
  for tool in ip nsenter iptables dockerd docker docker-registry; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (apt-get install -y iproute2 util-linux iptables docker.io docker-registry)"
}

# An iptables rule of ours, added once: `-C` checks it is there, else it goes first in its chain.
ensure_rule() {
  local chain=$1; shift
  iptables -C "$chain" "$@" -m comment --comment "$rule_comment" -j ACCEPT 2>/dev/null \
    || iptables -I "$chain" 1 "$@" -m comment --comment "$rule_comment" -j ACCEPT
}

up_network() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    log "bridge $bridge $host_ip/24"
    ip link add "$bridge" type bridge
  fi
  ip addr replace "$host_ip/24" dev "$bridge"
  ip link set "$bridge" up
  ensure_rule FORWARD -i "$bridge" -o "$bridge"
  ensure_rule INPUT -i "$bridge"
  local node ns veth
  for node in "${nodes[@]}"; do
    ns=$(netns "$node") veth=$(host_veth "$node")
    ip netns list | grep -qw "^$ns" || { log "netns $ns ${node_ip[$node]}"; ip netns add "$ns"; }
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip -n "$ns" link del eth0 2>/dev/null || true
      ip link add "$veth" type veth peer name eth0 netns "$ns"
    fi
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "${node_ip[$node]}/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

up_registry() {
  mkdir -p "$state_dir/registry" "$log_dir"
  local addr name
  for addr in "$pull_registry" "$push_registry"; do
    name=$([ "$addr" = "$pull_registry" ] && echo pull || echo push)
    FOPFLOW_REGISTRY_ADDR=$addr FOPFLOW_REGISTRY_DIR=$state_dir/registry \
      FOPFLOW_REGISTRY_LOG=$log_dir/registry-$name.log bash docker/registry.sh 2>&1 | sed 's/^/  /' >&2
  done
}

up_dockerd() {
  local node=$1 dir=$run_dir/$1
  if answers "$node"; then return 0; fi
  mkdir -p "$dir" "$state_dir/$node" "$log_dir"
  [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
  log "dockerd $node (log: $log_dir/$node.log)"
  # setsid: the daemon outlives this script and never gets the caller's Ctrl-C.
  nsenter --net="/var/run/netns/$(netns "$node")" setsid dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$state_dir/$node" \
    --exec-root "$dir/exec" \
    --host "unix://$(socket "$node")" \
    --pidfile "$dir/docker.pid" \
    --bridge none \
    --insecure-registry "$pull_registry" \
    --containerd-namespace "fopcl-$node" \
    --containerd-plugins-namespace "fopcl-$node-plugins" \
    --cgroup-parent "fopflow-cluster-$node" \
    >>"$log_dir/$node.log" 2>&1 </dev/null &
}

wait_dockerd() {
  local node=$1
  for _ in $(seq 1 $((dockerd_timeout_s * 2))); do
    answers "$node" && return 0
    sleep 0.5
  done
  tail -n 20 "$log_dir/$node.log" >&2 || true
  die "dockerd of $node did not answer within $dockerd_timeout_s s (log above)"
}

# The manager's address on the swarm port, as workers see it in `docker info`.
manager_addr() { echo "${node_ip[manager]}:2377"; }

up_swarm() {
  if [ "$(swarm_state manager)" != active ]; then
    log "swarm init on ${node_ip[manager]}"
    node_docker manager swarm init --advertise-addr "${node_ip[manager]}" --listen-addr "$(manager_addr)" >/dev/null
  fi
  local token node members
  token=$(node_docker manager swarm join-token -q worker)
  members=$(node_docker manager node ls --format '{{.ID}}')
  for node in worker1 worker2; do
    # Active in this swarm is fine; active in another one (a manager made anew) leaves first.
    if [ "$(swarm_state "$node")" = active ]; then
      grep -qx "$(node_docker "$node" info --format '{{.Swarm.NodeID}}')" <<<"$members" && continue
      node_docker "$node" swarm leave --force >/dev/null
    fi
    log "$node joins"
    node_docker "$node" swarm join --token "$token" --advertise-addr "${node_ip[$node]}" \
      --listen-addr "${node_ip[$node]}:2377" "$(manager_addr)" >/dev/null
  done
  wait_ready
  # Labels for placement constraints, e.g. --constraint node.labels.fopflow.node==worker1.
  for node in "${nodes[@]}"; do
    node_docker manager node update --label-add "fopflow.node=$node" \
      "$(node_docker "$node" info --format '{{.Swarm.NodeID}}')" >/dev/null
  done
  # Nodes that left (an earlier cluster's workers) stay listed as down: drop them.
  local gone
  gone=$(node_docker manager node ls --format '{{.ID}} {{.Status}}' | awk '$2 == "Down" { print $1 }')
  [ -z "$gone" ] || node_docker manager node rm --force $gone >/dev/null
}

wait_ready() {
  local ready=0
  for _ in $(seq 1 $((ready_timeout_s * 2))); do
    ready=$(node_docker manager node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
    [ "$ready" -ge ${#nodes[@]} ] && return 0
    sleep 0.5
  done
  node_docker manager node ls >&2 || true
  die "only $ready of ${#nodes[@]} nodes Ready after $ready_timeout_s s"
}

write_env() {
  cat >"$env_file" <<EOF
# Written by docker/cluster.sh up: how to reach the local three-node swarm.
DOCKER_HOST=unix://$(socket manager)
FOPFLOW_CLUSTER_REGISTRY=$pull_registry
FOPFLOW_CLUSTER_PUSH_REGISTRY=$push_registry
FOPFLOW_CLUSTER_HOST_IP=$host_ip
FOPFLOW_CLUSTER_NODES=$(for node in "${nodes[@]}"; do printf '%s=unix://%s ' "$node" "$(socket "$node")"; done | sed 's/ $//')
EOF
}

# `<registry>/<path>:<tag>` for an image of the default engine: its path without any registry host.
registry_path() {
  local image=$1 first=${1%%/*}
  if [[ $image == */* && ( $first == *.* || $first == *:* || $first == localhost ) ]]; then image=${image#*/}; fi
  [[ ${image##*/} == *:* ]] || image=$image:latest
  echo "$image"
}

push_images() {
  local image path
  for image in "$@"; do
    path=$(registry_path "$image")
    log "push $image → $pull_registry/$path"
    docker tag "$image" "$push_registry/$path"
    docker push -q "$push_registry/$path" >/dev/null || { docker rmi "$push_registry/$path" >/dev/null; die "pushing $image failed"; }
    # Only the extra tag goes; the image stays under its own names.
    docker rmi "$push_registry/$path" >/dev/null
  done
}

up_images() {
  local images=()
  if [ "${FOPFLOW_CLUSTER_IMAGES+set}" = set ]; then
    read -r -a images <<<"$FOPFLOW_CLUSTER_IMAGES"
  else
    local image
    for image in "${platform_images[@]}"; do
      if docker image inspect "$image" >/dev/null 2>&1; then images+=("$image"); else log "no $image on the default engine (bash docker/build-images.sh): not pushed"; fi
    done
  fi
  [ ${#images[@]} -eq 0 ] || push_images "${images[@]}"
}

up() {
  need_tools
  local started=$SECONDS node
  up_network
  up_registry
  for node in "${nodes[@]}"; do up_dockerd "$node"; done
  for node in "${nodes[@]}"; do wait_dockerd "$node"; done
  up_swarm
  write_env
  up_images
  node_docker manager node ls >&2
  log "up in $((SECONDS - started)) s; settings in $env_file:"
  cat "$env_file" >&2
}

# Ends a process we started, by its id: SIGTERM, then SIGKILL after `wait_s`.
stop_pid() {
  local pid=$1 wait_s=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((wait_s * 4))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

down_node() {
  local node=$1 dir=$run_dir/$1 ns pid
  ns=$(netns "$node")
  if [ -f "$dir/docker.pid" ]; then
    log "stopping dockerd $node"
    # dockerd stops its containers and its containerd on SIGTERM.
    stop_pid "$(cat "$dir/docker.pid")" 30
  fi
  # What is left in the namespace (a killed dockerd's containerd, host-network tasks) is ours.
  if ip netns list | grep -qw "^$ns"; then
    for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  # Container shims run in the host's namespace; they name our containerd's socket.
  for pid in $(grep -l -s -F "$dir/exec/" /proc/[0-9]*/cmdline | cut -d/ -f3 || true); do kill -KILL "$pid" 2>/dev/null || true; done
}

unmount_under() {
  local dir=$1 target
  [ -e "$dir" ] || return 0
  # Deepest first; lazily, so a mount still busy for a moment does not stop the cleanup.
  for target in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r || true); do umount -l "$target" 2>/dev/null || true; done
  if mountpoint -q "$dir"; then umount -l "$dir" || true; fi
}

down() {
  need_tools
  local node pid_file ns
  # At once: each dockerd takes seconds to stop its containers and leave.
  for node in "${nodes[@]}"; do down_node "$node" & done
  wait
  for pid_file in "$log_dir"/registry-pull.pid "$log_dir"/registry-push.pid; do
    [ -f "$pid_file" ] || continue
    stop_pid "$(cat "$pid_file")" 10
    rm -f "$pid_file"
  done
  unmount_under "$run_dir"
  unmount_under "$state_dir"
  rm -rf "$run_dir" "$state_dir"
  for node in "${nodes[@]}"; do
    ns=$(netns "$node")
    ip link del "$(host_veth "$node")" 2>/dev/null || true
    if ip netns list | grep -qw "^$ns"; then ip netns del "$ns"; fi
  done
  ip link del "$bridge" 2>/dev/null || true
  local rule
  # Exactly our rules, each deleted by its own spec as `iptables -S` prints it.
  for chain in FORWARD INPUT; do
    while rule=$(iptables -S "$chain" | grep -F -- "--comment $rule_comment" | head -n 1) && [ -n "$rule" ]; do
      eval "iptables -D ${rule#-A }"
    done
  done
  log "down: no namespaces, daemons, registry, bridge or rules of the cluster left"
}

status() {
  local node
  for node in "${nodes[@]}"; do printf '%-8s %s swarm:%s\n' "$node" "${node_ip[$node]}" "$(swarm_state "$node")"; done
  answers manager && node_docker manager node ls
  [ -f "$env_file" ] && cat "$env_file"
  return 0
}

case ${1:-} in
  up) up ;;
  down) down ;;
  push) shift; [ $# -gt 0 ] || die "push what? bash docker/cluster.sh push IMAGE…"; need_tools; push_images "$@" ;;
  status) status ;;
  *) die "usage: bash docker/cluster.sh up|down|push IMAGE…|status" ;;
esac
