import { Logger } from '@nestjs/common';
import type { RedisClient } from '@fopflow/queue';
import { RateWindow, RateWindows } from './rate-windows';

/** Limits of one tier. 0 switches a limit off. */
export interface TierRateLimits {
  /** Requests per second per access key (per client address when anonymous), all commands together. */
  requestsPerSecond: number;
  /** Requests per second per access key and fop command (`imageView2`, `avthumb`, …). */
  commandRequestsPerSecond: number;
  /** Requests in flight at once per client, counted in this gateway process only. */
  concurrentConnections: number;
}

/** Limits by tier name; the `anonymous` entry covers unsigned requests and tiers not listed. */
export type RateLimitConfig = Readonly<Record<string, TierRateLimits>>;

/** Tier of requests that carry no signature or token. */
export const ANONYMOUS_TIER = 'anonymous';

/** Defaults: paid 200/100/64, free 20/10/8; anonymous callers get what free keys get. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  paid: { requestsPerSecond: 200, commandRequestsPerSecond: 100, concurrentConnections: 64 },
  free: { requestsPerSecond: 20, commandRequestsPerSecond: 10, concurrentConnections: 8 },
  [ANONYMOUS_TIER]: { requestsPerSecond: 20, commandRequestsPerSecond: 10, concurrentConnections: 8 },
};

/** Who is limited: an access key, or `ip:<address>` for anonymous callers, and its tier. */
export interface RateLimitIdentity {
  key: string;
  tier: string;
}

export interface RateLimitsOptions {
  /** Prefix of every Redis key (default `fopflow:rl`). */
  keyPrefix?: string;
  /** How long a limit check may wait for Redis before the request passes unlimited, in ms (default 500). */
  redisTimeoutMs?: number;
  /** Where the store-down and store-back messages go (default a Nest Logger 'RateLimits'). */
  logger?: Pick<Logger, 'warn' | 'log'>;
}

/** A request over a limit: answered 429 with `Retry-After: <retryAfterS>`. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  readonly status = 429;

  constructor(
    message: string,
    /** Seconds until the limit lets a request through again. */
    readonly retryAfterS: number,
  ) {
    super(message);
  }

  /** Headers of the answer; the gateway's ErrorFilter sends them. */
  get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterS) };
  }
}

/** A window and the words of its limit in a refusal. */
interface DescribedWindow extends RateWindow {
  describe: () => string;
}

interface TierLimiters {
  name: string;
  limits: TierRateLimits;
}

/**
 * Request-rate limits per access key and per (key, command), shared by all gateways through
 * Redis (fixed one-second windows, both counted in one round trip: see RateWindows), and a
 * per-process cap on requests in flight per client.
 *
 * When Redis fails or is slow the rate limits fail open: they guard fairness, not
 * correctness, and turning a Redis outage into refusing every request would also stop what
 * still works without Redis (raw objects, cached results). Fop requests meet the outage where
 * it matters, at the queue, with a 503. The connection cap needs no Redis and always holds.
 */
export class RateLimits {
  private readonly tiers = new Map<string, TierLimiters>();
  private readonly inFlight = new Map<string, number>();
  private readonly windows: RateWindows;
  private readonly keyPrefix: string;
  private readonly redisTimeoutMs: number;
  private readonly logger: Pick<Logger, 'warn' | 'log'>;
  private storeDown = false;

  constructor(redis: RedisClient, config: RateLimitConfig = DEFAULT_RATE_LIMITS, options: RateLimitsOptions = {}) {
    if (!config[ANONYMOUS_TIER]) throw new Error(`rate limits need an '${ANONYMOUS_TIER}' tier entry`);
    this.keyPrefix = options.keyPrefix ?? 'fopflow:rl';
    this.windows = new RateWindows(redis);
    this.redisTimeoutMs = options.redisTimeoutMs ?? 500;
    this.logger = options.logger ?? new Logger('RateLimits');
    for (const [name, limits] of Object.entries(config)) {
      for (const [field, value] of Object.entries(limits)) {
        if (!Number.isFinite(value) || value < 0) throw new Error(`rate limit ${name}.${field} must be a number ≥ 0, got ${value}`);
      }
      this.tiers.set(name, { name, limits });
    }
  }

  /** Limits that apply to `tier` (the anonymous ones for a tier not configured). */
  limitsOf(tier: string): TierRateLimits {
    return this.tierOf(tier).limits;
  }

  /** Counts one request of `identity` (and of its `command`, if given); throws RateLimitedError when over. */
  async consume(identity: RateLimitIdentity, command?: string): Promise<void> {
    const tier = this.tierOf(identity.tier);
    const client = `${tier.name}:${identity.key}`;
    const windows: DescribedWindow[] = [];
    if (tier.limits.requestsPerSecond > 0) {
      const limit = tier.limits.requestsPerSecond;
      windows.push({ key: this.windows.keyOf(this.keyPrefix, client, 'req'), limit, describe: () => `${limit} requests per second` });
    }
    if (command !== undefined && tier.limits.commandRequestsPerSecond > 0) {
      const limit = tier.limits.commandRequestsPerSecond;
      windows.push({ key: this.windows.keyOf(this.keyPrefix, client, `cmd:${command}`), limit, describe: () => `${limit} ${command} requests per second` });
    }
    await this.take(windows, tier, identity);
  }

  /**
   * Takes one of the client's in-flight slots and returns the function that gives it back
   * (safe to call twice); throws RateLimitedError when all are taken. Per gateway process:
   * with N gateways a client may hold N times the cap, which still bounds each process.
   */
  acquireConnection(identity: RateLimitIdentity): () => void {
    const tier = this.tierOf(identity.tier);
    const cap = tier.limits.concurrentConnections;
    const slot = `${tier.name}\u0000${identity.key}`;
    const held = this.inFlight.get(slot) ?? 0;
    if (cap > 0 && held >= cap) {
      throw new RateLimitedError(`over the limit of ${cap} concurrent connections for ${describe(identity, tier)}`, 1);
    }
    this.inFlight.set(slot, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.inFlight.get(slot) ?? 1) - 1;
      if (now > 0) this.inFlight.set(slot, now);
      else this.inFlight.delete(slot);
    };
  }

  /** Requests in flight for `identity` in this process. */
  connectionsOf(identity: RateLimitIdentity): number {
    return this.inFlight.get(`${this.tierOf(identity.tier).name}\u0000${identity.key}`) ?? 0;
  }

  private tierOf(tier: string): TierLimiters {
    return this.tiers.get(tier) ?? this.tiers.get(ANONYMOUS_TIER)!;
  }

  private async take(windows: DescribedWindow[], tier: TierLimiters, identity: RateLimitIdentity): Promise<void> {
    if (windows.length === 0) return;
    let over;
    try {
      over = await withTimeout(this.windows.count(windows), this.redisTimeoutMs);
    } catch (error) {
      // Fail open (see the class comment), saying so once per outage rather than once per request.
      if (!this.storeDown) {
        this.storeDown = true;
        this.logger.warn(`rate limits are off while Redis does not answer (${(error as Error).message}); requests pass unlimited`);
      }
      return;
    }
    this.storeAnswered();
    if (!over) return;
    const retryAfterS = Math.max(1, Math.ceil(over.msBeforeNext / 1000));
    throw new RateLimitedError(`over the limit of ${over.window.describe()} for ${describe(identity, tier)}; retry after ${retryAfterS} s`, retryAfterS);
  }

  private storeAnswered(): void {
    if (!this.storeDown) return;
    this.storeDown = false;
    this.logger.log('Redis answers again; rate limits are back on');
  }
}

function describe(identity: RateLimitIdentity, tier: TierLimiters): string {
  const who = identity.key.startsWith('ip:') ? `client ${identity.key.slice(3)}` : `access key '${identity.key}'`;
  return `${who} (tier '${tier.name}')`;
}

/** `promise`, or an Error after `ms`; a late settlement of `promise` is swallowed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
