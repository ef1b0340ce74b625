import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ResultCache } from '@fopflow/cache';
import IORedis, { Redis } from 'ioredis';
import { startRedis, TestRedis } from '../support/redis-server';

const key = (n: number) => n.toString(16).padStart(64, '0');

describe('ResultCache on real Redis and disk', () => {
  let server: TestRedis;
  let redis: Redis;
  let dir: string;

  beforeAll(async () => {
    server = await startRedis();
    redis = new IORedis(server.url);
  });

  beforeEach(async () => {
    await redis.flushall();
    dir = mkdtempSync(join(tmpdir(), 'fopflow-cache-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it('answers what was put, with its mime and size, and null for what was not', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 1000 });
    await cache.put(key(1), Buffer.from('hello'), 'text/plain');
    const hit = await cache.get(key(1));
    expect(hit).toMatchObject({ mime: 'text/plain', size: 5 });
    expect(await text(hit!.stream)).toBe('hello');
    expect(await cache.get(key(2))).toBeNull();
  });

  it('evicts the least recently used results past maxBytes, keeping the byte count exact', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 250 });
    for (const n of [1, 2, 3]) await cache.put(key(n), Buffer.alloc(100, n), 'application/octet-stream');
    // 300 bytes > 250: the oldest (1) went. Touch 2, then add 4: now 3 is the oldest and goes.
    expect(await cache.get(key(1))).toBeNull();
    (await cache.get(key(2)))!.stream.destroy();
    await cache.put(key(4), Buffer.alloc(100, 4), 'application/octet-stream');
    expect(await cache.get(key(3))).toBeNull();
    for (const n of [2, 4]) (await cache.get(key(n)))!.stream.destroy();
    expect(await cache.totalBytes()).toBe(200);
    expect(readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith(key(1)))).toEqual([]);
  });

  it('indexes a put within the bound in one round trip, and looks for evictions only past it', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 150 });
    const evals = jest.spyOn(redis, 'eval');
    try {
      await cache.put(key(1), Buffer.alloc(100, 1), 'application/octet-stream');
      expect(evals).toHaveBeenCalledTimes(1);
      await cache.put(key(2), Buffer.alloc(100, 2), 'application/octet-stream');
      // Past the bound: the put, then the eviction of 1, then a look that finds nothing more.
      expect(evals).toHaveBeenCalledTimes(4);
    } finally {
      evals.mockRestore();
    }
    expect(await cache.get(key(1))).toBeNull();
    expect(await cache.totalBytes()).toBe(100);
  });

  it('moves a finished file in with putFile', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 1000 });
    const file = join(dir, 'result.bin');
    writeFileSync(file, 'moved bytes');
    await cache.putFile(key(5), file, 'video/mp4');
    expect(existsSync(file)).toBe(false);
    const hit = await cache.get(key(5));
    expect(hit).toMatchObject({ mime: 'video/mp4', size: 11 });
    expect(await text(hit!.stream)).toBe('moved bytes');
  });

  it('counts a rewritten key once', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 10_000 });
    await cache.put(key(7), Buffer.alloc(100), 'a/b');
    await cache.put(key(7), Buffer.alloc(40), 'a/b');
    expect(await cache.totalBytes()).toBe(40);
  });

  it('keeps the byte count exact when several writers evict at once', async () => {
    const caches = [0, 1, 2].map(() => new ResultCache(redis, { dir, maxBytes: 1000 }));
    await Promise.all(Array.from({ length: 60 }, (_, n) => caches[n % 3].put(key(n + 1), Buffer.alloc(50, n), 'x/y')));
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(await caches[0].totalBytes()).toBeLessThanOrEqual(1000);
    expect(files.length * 50).toBe(await caches[0].totalBytes());
  });

  it('forgets an entry whose file vanished instead of failing', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 1000 });
    await cache.put(key(9), Buffer.from('gone soon'), 'text/plain');
    rmSync(join(dir, key(9).slice(0, 2), key(9)));
    expect(await cache.get(key(9))).toBeNull();
    expect(await cache.totalBytes()).toBe(0);
    expect(existsSync(join(dir, 'tmp')) ? readdirSync(join(dir, 'tmp')) : []).toEqual([]);
  });

  it('opens a body whose meta the caller knows without asking Redis, and answers null once it was evicted', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 1000 });
    await cache.put(key(10), Buffer.from('known'), 'text/plain');
    const opened = await cache.open(key(10), { mime: 'text/plain', size: 5 });
    expect(await text(opened!.stream)).toBe('known');
    await cache.delete(key(10));
    expect(await cache.open(key(10), { mime: 'text/plain', size: 5 })).toBeNull();
  });

  it('touches many keys in one call, moving them to the young end of the order; evicted ones stay out', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 300 });
    for (const n of [1, 2, 3]) await cache.put(key(n), Buffer.alloc(100, n), 'x/y');
    await cache.delete(key(3));
    expect(await cache.touch([key(1), key(3)])).toEqual([key(3)]);
    expect(await cache.touch([])).toEqual([]);
    // 2 is now the oldest: two more results push it out and keep 1.
    await cache.put(key(4), Buffer.alloc(100, 4), 'x/y');
    await cache.put(key(5), Buffer.alloc(100, 5), 'x/y');
    expect(await cache.get(key(2))).toBeNull();
    (await cache.get(key(1)))!.stream.destroy();
    expect(await cache.get(key(3))).toBeNull();
    expect(await cache.totalBytes()).toBe(300);
  });

  it('refuses a key that could escape its directory', async () => {
    const cache = new ResultCache(redis, { dir, maxBytes: 1000 });
    await expect(cache.put('../../etc/passwd', Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid result key/);
  });
});

