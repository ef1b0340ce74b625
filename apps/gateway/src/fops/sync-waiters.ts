import type { RedisClient } from '@fopflow/queue';

/** Key prefix of the per-job waiter counts. */
const WAITERS_PREFIX = 'fopflow:sync-waiters:';

/** How long a count outlives the longest wait, in ms: a gateway that died mid-wait stops counting by then. */
const WAITERS_SLACK_MS = 60_000;

/** Decrements a count and deletes it at zero; answers the count left. */
const LEAVE_SCRIPT = `local n = redis.call('DECR', KEYS[1]) if n <= 0 then redis.call('DEL', KEYS[1]) end return n`;

/**
 * How many sync requests, over every gateway, are waiting on each job id. Identical requests
 * share one job; only when the last of them stops waiting may the job be withdrawn.
 */
export class SyncWaiters {
  constructor(
    private readonly redis: RedisClient,
    private readonly syncWaitMs: number,
  ) {}

  /** Counts one more request waiting on `jobId`. */
  async join(jobId: string): Promise<void> {
    await this.redis.multi().incr(WAITERS_PREFIX + jobId).pexpire(WAITERS_PREFIX + jobId, this.syncWaitMs + WAITERS_SLACK_MS).exec();
  }

  /** Counts one request fewer; answers how many still wait (0: nobody). */
  async leave(jobId: string): Promise<number> {
    // One script, so a request joining in between is never wiped out with the key.
    const remaining = (await this.redis.eval(LEAVE_SCRIPT, 1, WAITERS_PREFIX + jobId)) as number;
    return Math.max(0, remaining);
  }
}
