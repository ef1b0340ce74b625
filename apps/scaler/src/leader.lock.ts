import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@fopflow/queue';

const LOCK_KEY = 'fopflow:scaler:lock';

// Renew only a lock that is still ours: another scaler may have taken over after a pause.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Only one scaler acts at a time: the holder renews a short-lived key each tick; others stand by. */
export class LeaderLock {
  readonly holder = randomBytes(8).toString('hex');

  constructor(
    private readonly redis: RedisClient,
    /** How long the lock outlives its last renewal, in ms. */
    private readonly ttlMs: number,
  ) {}

  /** Takes or keeps the lock; true while this scaler leads. */
  async acquire(): Promise<boolean> {
    return (await this.redis.eval(RENEW_SCRIPT, 1, LOCK_KEY, this.holder, this.ttlMs)) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, LOCK_KEY, this.holder);
  }
}
