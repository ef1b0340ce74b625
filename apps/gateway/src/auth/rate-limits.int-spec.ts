import { randomUUID } from 'node:crypto';
import { createRedis, type RedisClient } from '@fopflow/queue';
import type { Redis } from 'ioredis';
import { startRedis, TestRedis } from '../../../../test/support/redis-server';
import { RateLimitConfig, RateLimitedError, RateLimitIdentity, RateLimits } from './rate-limits';

const paidKey: RateLimitIdentity = { key: 'ak-paid', tier: 'paid' };
const config: RateLimitConfig = {
  paid: { requestsPerSecond: 3, commandRequestsPerSecond: 2, concurrentConnections: 2 },
  anonymous: { requestsPerSecond: 2, commandRequestsPerSecond: 1, concurrentConnections: 1 },
  open: { requestsPerSecond: 0, commandRequestsPerSecond: 0, concurrentConnections: 0 },
};

async function refusal(attempt: Promise<unknown> | (() => unknown)): Promise<RateLimitedError> {
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
  } catch (error) {
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).status).toBe(429);
    return error as RateLimitedError;
  }
  throw new Error('was not limited');
}

/**
 * Commands clients send to the spec's own redis-server while `act` runs (not those a script
 * runs inside the server), seen through MONITOR; an ECHO marks the end.
 */
async function commandsSentDuring(redis: RedisClient, act: () => Promise<unknown>): Promise<string[][]> {
  const monitor = await (redis as Redis).monitor();
  const sent: string[][] = [];
  const marker = `end-${randomUUID()}`;
  const ended = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) resolve();
      else if (source !== 'lua') sent.push(args);
    }),
  );
  try {
    await act();
    await redis.echo(marker);
    await ended;
    return sent;
  } finally {
    monitor.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RateLimits', () => {
  let server: TestRedis;
  let redis: RedisClient;
  const logger = { warn: jest.fn(), log: jest.fn() };
  // A fresh key space per test: windows of one test never leak into the next.
  const limits = (c = config, redisTimeoutMs?: number) => new RateLimits(redis, c, { keyPrefix: `fopflow:rl:test:${randomUUID()}`, logger, redisTimeoutMs });

  beforeAll(async () => {
    server = await startRedis();
    redis = createRedis(server.url, 'producer', 'rate-limits-spec');
    await new Promise((resolve) => redis.once('ready', resolve));
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  beforeEach(() => jest.clearAllMocks());

  it('refuses the request over the per-key rate with 429 and Retry-After, then lets it through again', async () => {
    const rl = limits();
    for (let i = 0; i < 3; i++) await rl.consume(paidKey);
    const error = await refusal(rl.consume(paidKey));
    expect(error.message).toBe("over the limit of 3 requests per second for access key 'ak-paid' (tier 'paid'); retry after 1 s");
    expect(error.retryAfterS).toBe(1);
    expect(error.headers).toEqual({ 'Retry-After': '1' });
    await rl.consume({ key: 'ak-paid-2', tier: 'paid' });
    await sleep(error.retryAfterS * 1000 + 50);
    await rl.consume(paidKey);
  });

  it('counts each command separately, on top of the request rate', async () => {
    const rl = limits({ ...config, paid: { ...config.paid, requestsPerSecond: 100 } });
    await rl.consume(paidKey, 'imageView2');
    await rl.consume(paidKey, 'imageView2');
    const error = await refusal(rl.consume(paidKey, 'imageView2'));
    expect(error.message).toMatch(/^over the limit of 2 imageView2 requests per second for access key 'ak-paid' \(tier 'paid'\)/);
    await rl.consume(paidKey, 'avinfo');
    await rl.consume(paidKey);
    await rl.consume({ key: 'ak-other', tier: 'paid' }, 'imageView2');
  });

  it('counts the request and the command limit in one Redis call', async () => {
    const rl = limits();
    await rl.consume(paidKey, 'imageView2'); // loads the script, so the call below is the steady state
    const sent = await commandsSentDuring(redis, () => rl.consume(paidKey, 'imageView2'));
    expect(sent.map(([command]) => command.toLowerCase())).toEqual(['evalsha']);
    const error = await refusal(rl.consume(paidKey, 'imageView2'));
    expect(error.message).toMatch(/^over the limit of 2 imageView2 requests per second/);
  });

  it("keeps one client's windows in one slot group, as a script on a Redis Cluster needs", async () => {
    const rl = new RateLimits(redis, config, { keyPrefix: 'fopflow:rl:slots' });
    await rl.consume(paidKey, 'imageView2');
    expect((await redis.keys('fopflow:rl:slots:*')).sort()).toEqual(['fopflow:rl:slots:paid:ak-paid:cmd:imageView2', 'fopflow:rl:slots:paid:ak-paid:req']);
  });

  it('gives anonymous callers and unknown tiers the anonymous limits; 0 switches a limit off', async () => {
    const rl = limits();
    const client = { key: 'ip:192.0.2.7', tier: 'anonymous' };
    await rl.consume(client);
    await rl.consume({ key: 'ip:192.0.2.7', tier: 'gold' });
    expect((await refusal(rl.consume(client))).message).toMatch(/^over the limit of 2 requests per second for client 192\.0\.2\.7 \(tier 'anonymous'\)/);
    expect(rl.limitsOf('gold')).toEqual(config.anonymous);
    for (let i = 0; i < 50; i++) await rl.consume({ key: 'ak-open', tier: 'open' }, 'imageInfo');
  });

  it('caps requests in flight per client and frees a slot on release, once', () => {
    const rl = limits();
    const releaseFirst = rl.acquireConnection(paidKey);
    rl.acquireConnection(paidKey);
    expect(rl.connectionsOf(paidKey)).toBe(2);
    return refusal(() => rl.acquireConnection(paidKey)).then((error) => {
      expect(error.message).toBe("over the limit of 2 concurrent connections for access key 'ak-paid' (tier 'paid')");
      expect(error.retryAfterS).toBe(1);
      rl.acquireConnection({ key: 'ak-other', tier: 'paid' });
      releaseFirst();
      releaseFirst();
      expect(rl.connectionsOf(paidKey)).toBe(1);
      rl.acquireConnection(paidKey);
      expect(() => rl.acquireConnection(paidKey)).toThrow(RateLimitedError);
    });
  });

  it('refuses a config without an anonymous tier or with a bad number', () => {
    expect(() => new RateLimits(redis, { paid: config.paid })).toThrow(/need an 'anonymous' tier entry/);
    expect(() => new RateLimits(redis, { ...config, free: { ...config.paid, requestsPerSecond: -1 } })).toThrow(/free.requestsPerSecond must be a number ≥ 0, got -1/);
  });

  it('fails open while Redis is slow, logging once', async () => {
    const rl = limits(config, 100);
    const admin = createRedis(server.url, 'producer', 'rate-limits-spec-admin');
    await new Promise((resolve) => admin.once('ready', resolve));
    try {
      await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
      for (let i = 0; i < 5; i++) await rl.consume(paidKey);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0][0]).toMatch(/rate limits are off while Redis does not answer \(no answer within 100 ms\)/);
    } finally {
      await sleep(700);
      admin.disconnect();
    }
  });

  it('fails open while Redis is down, logging once, and limits again once it is back', async () => {
    const rl = limits();
    await server.kill();
    try {
      for (let i = 0; i < 5; i++) await rl.consume(paidKey, 'imageView2');
      expect(logger.warn).toHaveBeenCalledTimes(1);
    } finally {
      await server.restart();
    }
    await new Promise((resolve) => (redis.status === 'ready' ? resolve(undefined) : redis.once('ready', resolve)));
    for (let i = 0; i < 3; i++) await rl.consume(paidKey);
    expect(logger.log).toHaveBeenCalledWith('Redis answers again; rate limits are back on');
    await refusal(rl.consume(paidKey));
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});
