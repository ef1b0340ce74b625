import IORedis, { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { parseRedisUrl, SentinelRedisTarget } from './redis-url';

/**
 * A connection to Fopflow's Redis, whichever shape it has: one server (found directly or through
 * Sentinel) or a Redis Cluster. Code
 * that stores more than one key in one step keeps those keys in one hash slot (see slotGroup).
 */
export type RedisClient = Redis | Cluster;

/**
 * How a connection is used, after BullMQ's production rules:
 * - `worker`: blocking commands; retries forever so a Redis restart does not kill the worker.
 * - `producer`: in the HTTP path; no offline queue, so a dead Redis fails at once (503), not later.
 * - `events`: QueueEvents' blocking XREAD; like worker.
 */
export type ConnectionRole = 'worker' | 'producer' | 'events';

/** Bounded reconnect backoff: fast after a blip, at most 2 s apart while Redis stays down. */
const reconnectDelayMs = (attempt: number): number => Math.min(50 * attempt, 2000);

/** Opens an ioredis connection (a Cluster client for `redis+cluster://`, a Sentinel-led one for `redis+sentinel://`) configured for `role`. */
export function createRedis(url: string, role: ConnectionRole, name = `fopflow-${role}`): RedisClient {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: role === 'producer' ? 1 : null,
    enableOfflineQueue: role !== 'producer',
    retryStrategy: reconnectDelayMs,
    lazyConnect: false,
  };
  const target = parseRedisUrl(url);
  const redis: RedisClient =
    target.kind === 'single'
      ? new IORedis(url, options)
      : target.kind === 'sentinel'
        ? new IORedis(sentinelOptions(options, target))
        : new Cluster(target.nodes, clusterOptions(options, target.username, target.password, target.tls));
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  return redis;
}

function clusterOptions(node: RedisOptions, username: string | undefined, password: string | undefined, tls: boolean): ClusterOptions {
  const { enableOfflineQueue, retryStrategy: _perServer, ...perNode } = node;
  return {
    redisOptions: { ...perNode, ...(username && { username }), ...(password && { password }), ...(tls && { tls: {} }) },
    enableOfflineQueue,
    // The same bounded backoff while the whole cluster is unreachable.
    clusterRetryStrategy: reconnectDelayMs,
    // Every command goes to its slot's master: BullMQ and the stores read what they just wrote.
    scaleReads: 'master',
  };
}

function sentinelOptions(node: RedisOptions, target: SentinelRedisTarget): RedisOptions {
  const { sentinels, masterName, db, username, password, tls } = target;
  return {
    ...node,
    sentinels,
    name: masterName,
    db,
    ...(username && { username }),
    ...(password && { password }),
    ...(tls && { tls: {}, enableTLSForSentinelMode: true }),
    // Asks the sentinels again while none answers, as often as a lost server is retried.
    sentinelRetryStrategy: reconnectDelayMs,
  };
}

/** Another connection to the same Redis with `override` on top of its options (e.g. a subscriber). */
export function duplicateRedis(redis: RedisClient, override: Partial<RedisOptions>): RedisClient {
  if (!(redis instanceof Cluster)) return redis.duplicate(override);
  const { enableOfflineQueue, retryStrategy: _perNodeRetry, ...perNode } = override;
  const copy = redis.duplicate(undefined, {
    redisOptions: { ...redis.options.redisOptions, ...perNode },
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
  });
  copy.on('error', () => undefined);
  return copy;
}

/** True when `redis` answers PING within `timeoutMs`. */
export async function isRedisReady(redis: RedisClient, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ping timed out')), timeoutMs);
    });
    return (await Promise.race([redis.ping(), timeout])) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
