# The HTTP gateway. It never touches media (no ffmpeg), so it starts from the plain node image.
# Built by docker/build-images.sh; keep the lines up to CMD identical to scaler.Dockerfile so the
# two images share their layers.
ARG NODE_MAJOR=20
FROM fopflow/node:${NODE_MAJOR}

# Same uid as the worker's: both read and write the shared /data volume.
RUN groupadd --system --gid 10001 fopflow \
 && useradd --system --uid 10001 --gid fopflow --home-dir /app --no-create-home --shell /usr/sbin/nologin fopflow \
 && mkdir -p /app/.cache /data \
 && chown fopflow:fopflow /app/.cache /data
WORKDIR /app
ENV NODE_ENV=production \
    FOPFLOW_DATA_DIR=/data

COPY node_modules /app/node_modules
COPY package.json /app/package.json
COPY config /app/config
COPY dist /app/dist

USER fopflow
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/gateway/src/main.js"]
