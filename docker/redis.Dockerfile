# Redis for compose and the swarm stack, from Debian (no registry to pull redis:7 from).
# BullMQ's production rules are the defaults here: noeviction (an evicted key is a lost job) and
# an append-only file synced every second, so queued jobs survive a restart.
FROM fopflow/debian:bookworm
# Download, install and cleanup in one layer: a later rm could not shrink an earlier layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log /usr/share/man/* \
 && find /usr/share/doc -type f ! -name copyright -delete \
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
EXPOSE 6379
# protected-mode off: the port is only on the private compose/stack network, never published.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data", \
     "--maxmemory-policy", "noeviction", "--appendonly", "yes", "--appendfsync", "everysec"]
