import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_S, MAX_RETRY_AFTER_MS, nextDelayMs, parseRetrySchedule, webhookBackoffStrategy } from './retry.schedule';

const middle = () => 0.5; // no jitter
const lowest = () => 0; // -20 %
const highest = () => 0.999999; // just under +20 %

describe('webhook retry schedule', () => {
  it('follows the default schedule: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    const delays = DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.map((_, attemptsMade) => nextDelayMs(attemptsMade, undefined, undefined, middle));
    const h = 3_600_000;
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 2 * h, 5 * h, 10 * h, 14 * h, 20 * h, 24 * h]);
    expect(nextDelayMs(DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.length, undefined, undefined, middle)).toBeUndefined();
  });

  it('spreads each delay by ±20 %', () => {
    expect(nextDelayMs(1, undefined, undefined, lowest)).toBe(4_000);
    expect(nextDelayMs(1, undefined, undefined, highest)).toBe(6_000);
    expect(nextDelayMs(2, undefined, undefined, () => 0.25)).toBe(270_000);
    expect(nextDelayMs(0, undefined, undefined, highest)).toBe(0);
  });

  it('waits at least as long as the receiver asked, up to 24 h', () => {
    expect(nextDelayMs(1, undefined, 60_000, middle)).toBe(60_000);
    expect(nextDelayMs(3, undefined, 60_000, middle)).toBe(1_800_000);
    expect(nextDelayMs(1, undefined, 10 * MAX_RETRY_AFTER_MS, middle)).toBe(MAX_RETRY_AFTER_MS);
    expect(nextDelayMs(10, undefined, 60_000, middle)).toBeUndefined();
  });

  it('takes a configured schedule in seconds', () => {
    const schedule = parseRetrySchedule('0, 1, 2.5');
    expect(schedule).toEqual([0, 1, 2.5]);
    expect([0, 1, 2, 3].map((n) => nextDelayMs(n, schedule, undefined, middle))).toEqual([0, 1_000, 2_500, undefined]);
    expect(() => parseRetrySchedule('5,later')).toThrow(/'later'/);
    expect(() => parseRetrySchedule(' , ')).toThrow(/at least one/);
    expect(() => nextDelayMs(-1)).toThrow(RangeError);
  });

  it('serves as a BullMQ backoff strategy: attempts so far in, ms out, -1 when spent', () => {
    const strategy = webhookBackoffStrategy([0, 5, 300], middle);
    expect(strategy(1, 'webhook')).toBe(5_000);
    expect(strategy(2, 'webhook', Object.assign(new Error('429'), { retryAfterMs: 900_000 }))).toBe(900_000);
    expect(strategy(3, 'webhook')).toBe(-1);
    expect(() => webhookBackoffStrategy([5, -1])).toThrow(/-1/);
  });
});
