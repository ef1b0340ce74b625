import { Queue } from 'bullmq';
import IORedis from 'ioredis';

/** How often waitForFinished reads the counts, in ms: short next to the runs it times. */
const FINISHED_POLL_MS = 20;

/** The queue of one command and tier, as libs/queue names it (`fop.imageView2.paid`). */
export function fopQueueName(command: string, tier: string): string {
  return `fop.${command}.${tier}`;
}

/** Jobs of some queues by state, summed over them. */
export interface QueueTotals {
  /** Waiting, prioritized and delayed: not yet taken, as BullMQ stores a backlog. */
  pending: number;
  active: number;
  completed: number;
  failed: number;
}

/** Reads the job counts of a set of queues straight from Redis, as BullMQ keeps them. */
export class QueueCounter {
  private readonly connection: IORedis;
  private readonly queues: Queue[];

  constructor(redisUrl: string, queueNames: readonly string[]) {
    this.connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    this.queues = queueNames.map((name) => new Queue(name, { connection: this.connection }));
  }

  async totals(): Promise<QueueTotals> {
    const all = await Promise.all(this.queues.map((queue) => queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed')));
    return all.reduce<QueueTotals>(
      (sum, c) => ({
        pending: sum.pending + c.waiting + c.prioritized + c.delayed,
        active: sum.active + c.active,
        completed: sum.completed + c.completed,
        failed: sum.failed + c.failed,
      }),
      { pending: 0, active: 0, completed: 0, failed: 0 },
    );
  }

  /** Resolves with the totals once `jobs` more have completed or failed than in `since`; fails after timeoutMs. */
  async waitForFinished(since: QueueTotals, jobs: number, timeoutMs: number): Promise<QueueTotals> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.totals();
      if (finishedSince(since, now) >= jobs) return now;
      if (Date.now() > deadline) throw new Error(`only ${finishedSince(since, now)} of ${jobs} jobs finished within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, FINISHED_POLL_MS));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    this.connection.disconnect();
  }
}

/** Jobs that completed or failed between two readings. */
export function finishedSince(before: QueueTotals, after: QueueTotals): number {
  return after.completed + after.failed - before.completed - before.failed;
}
