# The Scaler: watches backlogs and drives a runtime. With FOPFLOW_RUNTIME=docker or swarm it needs
# the engine's socket (compose.yml / stack.yml mount it and add the socket's group).
# Built by docker/build-images.sh; identical to gateway.Dockerfile up to CMD, to share its layers.
ARG NODE_MAJOR=20
FROM fopflow/node:${NODE_MAJOR}

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
CMD ["node", "dist/apps/scaler/src/main.js"]
