import IORedis, { Redis, RedisOptions } from 'ioredis';

/**
 * How a connection is used, after BullMQ's production rules:
 * - `worker`: blocking commands; retries forever so a Redis restart does not kill the worker.
 * - `producer`: in the HTTP path; no offline queue, so a dead Redis fails at once (503), not later.
 * - `events`: QueueEvents' blocking XREAD; like worker.
 */
export type ConnectionRole = 'worker' | 'producer' | 'events';

/** Opens an ioredis connection configured for `role`. */
export function createRedis(url: string, role: ConnectionRole, name = `fopflow-${role}`): Redis {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: role === 'producer' ? 1 : null,
    enableOfflineQueue: role !== 'producer',
    // Bounded reconnect backoff: fast after a blip, at most 2 s apart while Redis stays down.
    retryStrategy: (attempt) => Math.min(50 * attempt, 2000),
    lazyConnect: false,
  };
  const redis = new IORedis(url, options);
  // An unhandled 'error' event would crash the process; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  return redis;
}

/** True when `redis` answers PING within `timeoutMs`. */
export async function isRedisReady(redis: Redis, timeoutMs = 1000): Promise<boolean> {
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
