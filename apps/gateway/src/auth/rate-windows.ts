import { slotGroup, type RedisClient } from '@fopflow/queue';

/**
 * Counts one request in each of a client's fixed one-second windows (the request window, then
 * the command window) in one Redis round trip. A request over the first limit is not counted in
 * the second, as when the two were separate calls.
 *
 * KEYS: the windows; ARGV: the limit of each, then the window length in seconds.
 * Answers {0} when every window has room, else {index of the window over (1-based), its ms left}.
 */
const COUNT_WINDOWS = `
for i, key in ipairs(KEYS) do
  redis.call('set', key, 0, 'EX', ARGV[#KEYS + 1], 'NX')
  local consumed = redis.call('incr', key)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, ARGV[#KEYS + 1])
    ttl = 1000 * ARGV[#KEYS + 1]
  end
  if consumed > tonumber(ARGV[i]) then return {i, ttl} end
end
return {0}
`;

/** One window to count a request in: its Redis key and the requests it lets through per second. */
export interface RateWindow {
  key: string;
  limit: number;
}

/** The window that refused a request and how long until it lets one through again. */
export interface WindowOver<W extends RateWindow> {
  window: W;
  msBeforeNext: number;
}

type CountWindows = (...keysThenArgs: (string | number)[]) => Promise<[number, number?]>;

export class RateWindows {
  private readonly countWindows: (keys: string[], args: number[]) => Promise<[number, number?]>;

  constructor(private readonly redis: RedisClient) {
    // defineCommand sends EVALSHA and falls back to EVAL once per connection: one round trip.
    redis.defineCommand('fopflowCountRateWindows', { lua: COUNT_WINDOWS });
    const command = (redis as unknown as { fopflowCountRateWindows: CountWindows }).fopflowCountRateWindows.bind(redis);
    this.countWindows = (keys, args) => command(keys.length, ...keys, ...args);
  }

  /**
   * The key of a client's window `name`. Every window of one client shares a slot group, so
   * one script may touch them all on a Redis Cluster.
   */
  keyOf(prefix: string, client: string, name: string): string {
    return `${slotGroup(this.redis, `${prefix}:${client}`)}:${name}`;
  }

  /** Counts one request in `windows`; answers the first window over its limit, if any. */
  async count<W extends RateWindow>(windows: W[]): Promise<WindowOver<W> | undefined> {
    if (windows.length === 0) return undefined;
    // Queued commands would wait out the outage and then count late; fail fast instead.
    if (this.redis.status !== 'ready') throw new Error('Redis connection is not ready');
    const [over, msBeforeNext] = await this.countWindows(
      windows.map((w) => w.key),
      [...windows.map((w) => w.limit), 1],
    );
    return over === 0 ? undefined : { window: windows[over - 1], msBeforeNext: Number(msBeforeNext) };
  }
}
