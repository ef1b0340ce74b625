#!/usr/bin/env bash
# Builds Fopflow's images from this checkout, each as :<package.json version> and :latest:
#   fopflow/worker   (FROM fopflow/ffmpeg)  fopflow/gateway, fopflow/scaler  (FROM fopflow/node)
#   fopflow/redis    (FROM fopflow/debian, for compose.yml and stack.yml)
# Everything is built on the host — the npm registry is out of reach from inside containers — and
# copied in from a staging context under .data/docker/context: dist/ (npm run build), a
# production-only node_modules (npm ci --omit=dev, redone only when the lockfile changes; sharp's
# prebuilt linux-x64 binaries come with it), config/ and package.json.
# Env: FOPFLOW_SKIP_NPM_BUILD=1 reuses dist/ as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
. docker/lock.sh
run_locked build-images "$@"

log() { printf '[build-images] %s\n' "$*" >&2; }

version=$(node -p "require('./package.json').version")
node_major=$(node -p "process.versions.node.split('.')[0]")
cache_dir=.data/docker
deps=$cache_dir/prod-deps
context=$cache_dir/context
started=$SECONDS

bash docker/base-image.sh

if [ "${FOPFLOW_SKIP_NPM_BUILD:-0}" != 1 ]; then
  log "npm run build"
  npm run build --silent
fi
[ -f dist/apps/worker/src/main.js ] || { log "dist/ has no worker: run npm run build"; exit 1; }

# Production dependencies in a directory of their own, so the dev tree (jest, typescript, the
# nest CLI) never reaches an image. Keyed on package.json, the lockfile and how it is made (bump
# deps_recipe when the steps below change): unchanged, it is reused.
deps_recipe=3
deps_key=$( (echo "$deps_recipe"; cat package.json package-lock.json) | sha256sum | cut -c1-16)
if [ "$(cat "$deps/.key" 2>/dev/null || true)" != "$deps_key" ]; then
  log "npm ci --omit=dev (production dependencies)"
  rm -rf "$deps"
  mkdir -p "$deps"
  cp package.json package-lock.json "$deps/"
  # --ignore-scripts: nothing in the production tree needs an install script (sharp ships its
  # binaries as packages). --prefer-offline: the host's npm cache already holds everything.
  (cd "$deps" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
  # typescript (20 MB) stays only because it is our devDependency and an optional peer of valibot
  # (under Bull Board), which needs it for types alone: nothing requires it at run time.
  rm -rf "$deps/node_modules/typescript" "$deps/node_modules/.bin/tsc" "$deps/node_modules/.bin/tsserver"
  # Type declarations, source maps, docs and test coverage reports are dead weight at run time.
  find "$deps/node_modules" -type d \( -name coverage -o -name __tests__ -o -name .github \) -prune -exec rm -rf {} +
  find "$deps/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
    -o -iname 'CHANGELOG*' -o -iname 'HISTORY*' -o -iname '*.md' ! -iname 'LICENSE*' \) -delete
  echo "$deps_key" >"$deps/.key"
fi

# The build context: only what the images copy, so Docker does not send the whole checkout.
rm -rf "$context"
mkdir -p "$context/dist"
cp -al "$deps/node_modules" "$context/node_modules" # hard links: instant, no extra space
cp -a dist/apps dist/libs "$context/dist/"
find "$context/dist" -name '*.map' -delete
cp -a config package.json "$context/"

build() { # <name> <dockerfile> [context]: without a context the Dockerfile comes on stdin alone
  log "building fopflow/$1:$version"
  # The label lets the prune below find our superseded builds, and only ours.
  local tags=(-t "fopflow/$1:$version" -t "fopflow/$1:latest" --label fopflow.build=1)
  if [ $# -eq 3 ]; then
    docker build -q --build-arg "NODE_MAJOR=$node_major" -f "docker/$2" "${tags[@]}" "$3" >/dev/null
  else
    docker build -q "${tags[@]}" - <"docker/$2" >/dev/null
  fi
}
build worker worker.Dockerfile "$context"
build gateway gateway.Dockerfile "$context"
build scaler scaler.Dockerfile "$context"
build redis redis.Dockerfile

# The worker must find sharp's native binding and ffmpeg inside, or every job would fail later.
docker run --rm --entrypoint node "fopflow/worker:$version" -e \
  "require('sharp'); require('child_process').execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' })" \
  || { log "fopflow/worker:$version cannot load sharp or run ffmpeg"; exit 1; }

# Each rebuild leaves the previous image untagged; drop those (ours only, by label).
docker image prune -f --filter label=fopflow.build=1 >/dev/null

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' \
  | grep -E "^fopflow/(worker|gateway|scaler|redis):$version " >&2 || true
log "done in $((SECONDS - started)) s"
