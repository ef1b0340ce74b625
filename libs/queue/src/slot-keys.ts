import type { RedisClient } from './connection';

/**
 * The common part of keys that a script, MULTI or multi-key command uses together. On a Redis
 * Cluster it is wrapped in braces, a hash tag, so all of them land in one hash slot; on a single
 * Redis it stays bare, so the key names (and the data under them) are what they always were.
 */
export function slotGroup(redis: RedisClient, group: string): string {
  return redis.isCluster ? `{${group}}` : group;
}

/** Keys matching `pattern`, batch by batch; on a cluster SCAN visits every master, as each holds only its own slots. */
export async function scanKeys(redis: RedisClient, pattern: string, onBatch: (keys: string[]) => Promise<void>, count = 200): Promise<void> {
  const nodes = redis.isCluster ? (redis as import('ioredis').Cluster).nodes('master') : [redis as import('ioredis').Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length) await onBatch(keys);
    } while (cursor !== '0');
  }
}
