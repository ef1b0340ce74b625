/**
 * When to try a webhook again. `schedule[n]` is the delay, in seconds, before attempt n+1, so
 * `schedule[0]` is the first attempt's (now) and `schedule.length` is the number of attempts.
 */

/** Delays before attempts 1–10, seconds: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_S: readonly number[] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400];
/** Each delay is spread by ±20 % so receivers coming back up are not hit by every retry at once. */
export const RETRY_JITTER_RATIO = 0.2;
/** Longest wait a receiver's Retry-After can impose, ms (24 h): beyond that it is not a pause. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** Returns a number in [0, 1); Math.random by default, fixed in tests. */
export type RandomSource = () => number;

/**
 * Delay before the next attempt after `attemptsMade` attempts, ms, or undefined when the schedule
 * is spent. The receiver's `retryAfterMs` (capped at 24 h) wins when it asks for longer.
 */
export function nextDelayMs(
  attemptsMade: number,
  schedule: readonly number[] = DEFAULT_WEBHOOK_RETRY_SCHEDULE_S,
  retryAfterMs?: number,
  random: RandomSource = Math.random,
): number | undefined {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) throw new RangeError(`attemptsMade must be a whole number, got ${attemptsMade}`);
  if (attemptsMade >= schedule.length) return undefined;
  const jitter = 1 + (random() * 2 - 1) * RETRY_JITTER_RATIO;
  const scheduledMs = Math.round(schedule[attemptsMade] * 1000 * jitter);
  const askedMs = retryAfterMs !== undefined && retryAfterMs > 0 ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(scheduledMs, askedMs);
}

/**
 * A BullMQ custom backoff strategy over `schedule` (pass it as the worker's
 * `settings.backoffStrategy`, give the job `attempts: schedule.length` and
 * `backoff: { type: 'webhook' }`). BullMQ calls it with the attempts made so far, the failing one
 * included, and the error thrown: an error carrying `retryAfterMs` (WebhookDeliveryError does)
 * stretches the wait. It answers -1 when the schedule is spent, which BullMQ reads as "fail now".
 */
export function webhookBackoffStrategy(
  schedule: readonly number[] = DEFAULT_WEBHOOK_RETRY_SCHEDULE_S,
  random: RandomSource = Math.random,
): (attemptsMade: number, type?: string, error?: Error) => number {
  assertSchedule(schedule);
  return (attemptsMade, _type, error) => {
    const retryAfterMs = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    return nextDelayMs(attemptsMade, schedule, typeof retryAfterMs === 'number' ? retryAfterMs : undefined, random) ?? -1;
  };
}

/** Parses a configured schedule (`"0,5,300"`, seconds); throws naming the bad entry. */
export function parseRetrySchedule(text: string): number[] {
  const schedule = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      if (!/^\d+(\.\d+)?$/.test(entry)) throw new RangeError(`retry schedule entry '${entry}' is not a number of seconds`);
      return Number(entry);
    });
  assertSchedule(schedule);
  return schedule;
}

function assertSchedule(schedule: readonly number[]): void {
  if (schedule.length === 0) throw new RangeError('retry schedule needs at least one entry');
  const bad = schedule.find((seconds) => !Number.isFinite(seconds) || seconds < 0);
  if (bad !== undefined) throw new RangeError(`retry schedule entry ${bad} is not a non-negative number of seconds`);
}
