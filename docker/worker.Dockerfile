# A worker instance: queue consumers for sharp (bundled in node_modules) and ffmpeg (from Debian).
# Built by docker/build-images.sh from its staging context (dist/, prod node_modules/, config/,
# package.json); the bases come from docker/base-image.sh, since no registry is reachable.
FROM fopflow/ffmpeg:latest

# A fixed uid/gid, the same in every Fopflow image, so they share the /data volume's files.
RUN groupadd --system --gid 10001 fopflow \
 && useradd --system --uid 10001 --gid fopflow --home-dir /app --no-create-home --shell /usr/sbin/nologin fopflow \
 && mkdir -p /app/.cache /data \
 && chown fopflow:fopflow /app/.cache /data
WORKDIR /app
ENV NODE_ENV=production \
    FOPFLOW_DATA_DIR=/data

# Least-changing first, so a code change rebuilds only the last small layer. Everything stays
# root-owned: the worker reads its code, it never rewrites it. No VOLUME: that would leave an
# anonymous volume behind every instance; the runtime mounts the shared one.
COPY node_modules /app/node_modules

USER fopflow
# Fontconfig (text watermarks) keeps its font index in $HOME/.cache: build it here, once, so no
# instance pays for it at its first text fop. (COPY below still writes root-owned files.)
RUN node -e "require('sharp')({ text: { text: 'fopflow' } }).png().toBuffer().then(() => undefined)"

COPY package.json /app/package.json
COPY config /app/config
COPY dist /app/dist
# Exec form: node is PID 1 and gets the runtime's SIGTERM itself (it finishes its jobs, exits 0).
CMD ["node", "dist/apps/worker/src/main.js"]
