#!/usr/bin/env bash
# Builds the local base images every Fopflow Dockerfile starts FROM. No image registry is
# reachable where Fopflow is built and tested, so nothing here pulls: Debian comes from a
# debootstrap rootfs (Debian's mirrors are reachable), node is the host's own binary, ffmpeg is
# apt-installed inside the image.
#
#   fopflow/debian:bookworm   debootstrap --variant=minbase bookworm, plus ca-certificates
#   fopflow/node:<major>      + the host's node binary (the Dockerfiles use fopflow/node:20)
#   fopflow/ffmpeg            + Debian's ffmpeg (the worker's base)
#
# Idempotent: the Debian image is built only when missing (its rootfs tarball is cached under
# .data/docker/, so even that is a quick import after the first run); the other two are plain
# `docker build`s that Docker's layer cache answers at once when nothing changed.
# Needs no npm build. Env: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# FOPFLOW_REBUILD_DEBIAN=1 to throw the cached rootfs away.
set -euo pipefail
cd "$(dirname "$0")/.."
. docker/lock.sh
run_locked base-image "$@"

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_dir=.data/docker
rootfs_tar=$cache_dir/debian-bookworm-minbase.tar
debian_tag=fopflow/debian:bookworm
ffmpeg_tag=fopflow/ffmpeg:latest
dockerd_log=${DOCKERD_LOG:-/var/log/dockerd.log}

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# The tests and CI need a running engine; start one when we may (root), else say how.
ensure_dockerd() {
  command -v docker >/dev/null || die "docker is not installed: apt-get install -y docker.io debootstrap"
  docker info >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "the Docker engine does not answer and only root may start it here: run 'sudo dockerd >$dockerd_log 2>&1 &' (or 'sudo systemctl start docker'), or add yourself to the docker group"
  fi
  command -v dockerd >/dev/null || die "dockerd is missing: apt-get install -y docker.io"
  log "starting dockerd (log: $dockerd_log)"
  # setsid: the daemon must outlive this script and must not get the caller's Ctrl-C.
  # No registry is reachable: swarm tasks must run local images instead of trying Docker Hub.
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nohup dockerd >"$dockerd_log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -n 20 "$dockerd_log" >&2 || true
  die "dockerd did not answer within 60 s (log above: $dockerd_log)"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The rootfs tarball is the slow part (a few minutes of downloads): build it once, keep it.
build_rootfs_tar() {
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root to build $rootfs_tar: run this script with sudo once"
  local root
  root=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
  rootfs_dir=$root
  log "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" \
    >"$cache_dir/debootstrap.log" 2>&1 || { tail -n 30 "$cache_dir/debootstrap.log" >&2; die "debootstrap failed (log: $cache_dir/debootstrap.log)"; }
  # Security updates matter for ffmpeg and friends installed on top of this image.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  # Same apt habits as the official debian images: no recommends, no caches left in layers.
  cat >"$root/etc/apt/apt.conf.d/90fopflow" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/tmp/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  # Documentation goes, the licences (copyright files) stay.
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  # Docker bind-mounts these per container; an empty machine-id keeps every image the same.
  : >"$root/etc/machine-id"
  tar --numeric-owner -C "$root" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  remove_rootfs_dir
}

# Unmounts whatever debootstrap left mounted if it failed half-way, then drops the tree.
rootfs_dir=""
remove_rootfs_dir() {
  [ -n "$rootfs_dir" ] || return 0
  umount -R "$rootfs_dir/proc" "$rootfs_dir/sys" 2>/dev/null || true
  rm -rf "$rootfs_dir" "$rootfs_tar.tmp"
  rootfs_dir=""
}
trap remove_rootfs_dir EXIT

build_debian() {
  if image_exists "$debian_tag" && [ "${FOPFLOW_REBUILD_DEBIAN:-0}" != 1 ]; then
    log "$debian_tag exists"
    return 0
  fi
  mkdir -p "$cache_dir"
  if [ "${FOPFLOW_REBUILD_DEBIAN:-0}" = 1 ]; then rm -f "$rootfs_tar"; fi
  [ -s "$rootfs_tar" ] || build_rootfs_tar
  log "importing $rootfs_tar as $debian_tag"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --message 'debootstrap --variant=minbase bookworm (fopflow docker/base-image.sh)' \
    "$rootfs_tar" "$debian_tag" >/dev/null
}

# The host's node goes in as is: it was built for this same Debian, and the npm registry the
# official node images would need is out of reach from inside containers.
build_node() {
  local node_bin version major ctx
  node_bin=$(readlink -f "$(command -v node)") || die "node is not installed on the host"
  version=$("$node_bin" -p 'process.versions.node')
  major=${version%%.*}
  ctx=$cache_dir/node-context
  mkdir -p "$ctx"
  # cp -u keeps the context's mtime when unchanged; the build cache keys on content anyway.
  cp -u "$node_bin" "$ctx/node"
  cat >"$ctx/Dockerfile" <<EOF
FROM $debian_tag
LABEL org.opencontainers.image.title="fopflow node" fopflow.node.version="$version"
COPY node /usr/local/bin/node
RUN node --version
EOF
  log "building fopflow/node:$major (node $version)"
  docker build -q -t "fopflow/node:$major" "$ctx" >/dev/null
  node_tag=fopflow/node:$major
}

build_ffmpeg() {
  local ctx=$cache_dir/ffmpeg-context
  mkdir -p "$ctx"
  # Download, install and cleanup in one RUN: a later rm could not shrink an earlier layer.
  cat >"$ctx/Dockerfile" <<EOF
FROM $node_tag
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ffmpeg \\
 && apt-get clean \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \\
    /usr/share/man/* \\
 && find /usr/share/doc -type f ! -name copyright -delete \\
 && ffmpeg -hide_banner -version | head -n 1
EOF
  log "building $ffmpeg_tag"
  docker build -q -t "$ffmpeg_tag" "$ctx" >/dev/null
}

started=$SECONDS
ensure_dockerd
build_debian
build_node
build_ffmpeg
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E '^fopflow/(debian|node|ffmpeg):' >&2 || true
log "done in $((SECONDS - started)) s"
