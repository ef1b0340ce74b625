import type { QueueBaseOptions } from 'bullmq';
import type { RedisClient } from './connection';
import { slotGroup } from './slot-keys';

/** BullMQ's own key prefix, kept on a single Redis so queued jobs survive an upgrade. */
const BULLMQ_PREFIX = 'bull';

/**
 * The key prefix of every queue. On a Redis Cluster it is one hash tag, `{bull}`: BullMQ's scripts
 * touch several keys of a queue at once, and a flow's parent and children (in other queues) are
 * written and completed in one step, so every queue a flow may span has to share one slot.
 */
export function queuePrefix(redis: RedisClient): string {
  return slotGroup(redis, BULLMQ_PREFIX);
}

/** What every Queue, Worker, QueueEvents and FlowProducer is opened with over `redis`. */
export function queueOptions(redis: RedisClient): Pick<QueueBaseOptions, 'connection' | 'prefix'> {
  return { connection: redis, prefix: queuePrefix(redis) };
}
