import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ResultCache } from '@fopflow/cache';
import { S3Storage } from '@fopflow/storage';
import IORedis, { Redis } from 'ioredis';
import { startRedis, TestRedis } from '../support/redis-server';
import { startS3, TestS3 } from '../support/s3-server';

const key = (n: number) => n.toString(16).padStart(64, '0');

/** Files a cache directory holds, tmp files included. */
const filesUnder = (dir: string) =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name) : [];

/**
 * The result cache with bodies in shared object storage: two "hosts" (own directories, own
 * processes' front tiers) over one Redis and one S3 see each other's results.
 */
describe('ResultCache on shared S3 storage', () => {
  let redisServer: TestRedis;
  let redis: Redis;
  let s3: TestS3;
  let raw: S3Client;
  let dirs: string[];
  /** Each test's own S3 bucket: the store outlives the Redis flush between tests. */
  let bucket: string;
  let tests = 0;

  const host = (frontMaxBytes: number, maxBytes = 10_000) => {
    const dir = mkdtempSync(join(tmpdir(), 'fopflow-cache-s3-'));
    dirs.push(dir);
    const storage = new S3Storage({ bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
    return { dir, cache: new ResultCache(redis, { dir, maxBytes, storage, frontMaxBytes }) };
  };
  const storedKeys = async () =>
    ((await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'objects/fopflow-results/' }))).Contents ?? []).map((item) => item.Key!.split('/').pop());

  beforeAll(async () => {
    [redisServer, s3] = await Promise.all([startRedis(), startS3()]);
    redis = new IORedis(redisServer.url);
    raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
  });

  beforeEach(async () => {
    await redis.flushall();
    dirs = [];
    bucket = `${s3.bucket}-${++tests}`;
  });

  afterEach(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  afterAll(async () => {
    raw?.destroy();
    await redis?.quit();
    await Promise.all([redisServer?.stop(), s3?.stop()]);
  });

  it('answers a result made on one host from another, which shares only Redis and S3', async () => {
    const a = host(1000);
    const b = host(1000);
    const file = join(a.dir, 'work-result.png');
    writeFileSync(file, 'made behind host a');
    await a.cache.putFile(key(1), file, 'image/png');
    expect(existsSync(file)).toBe(false);

    const hit = await b.cache.get(key(1));
    expect(hit).toMatchObject({ mime: 'image/png', size: 18 });
    expect(await text(hit!.stream)).toBe('made behind host a');
    expect(await storedKeys()).toEqual([key(1)]);
  });

  it("keeps a copy in the reading host's front tier, and reads S3 again when that copy is gone", async () => {
    const a = host(0);
    const b = host(1000);
    await a.cache.put(key(2), Buffer.from('front copy'), 'text/plain');
    expect(filesUnder(a.dir)).toEqual([]);
    expect(await text((await b.cache.get(key(2)))!.stream)).toBe('front copy');
    // The copy is published once the last byte went by.
    const front = join(b.dir, 'front');
    for (let tries = 0; tries < 50 && !filesUnder(front).includes(key(2)); tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(filesUnder(front)).toEqual([key(2)]);
    rmSync(front, { recursive: true, force: true });
    expect(await text((await b.cache.get(key(2)))!.stream)).toBe('front copy');
  });

  it('bounds the front tier by its own bytes, least recently used out first, while the shared store keeps every result', async () => {
    const a = host(240);
    const numbers = [11, 12, 13, 14, 15];
    for (const n of numbers) await a.cache.put(key(n), Buffer.alloc(60, n), 'application/octet-stream');
    expect(filesUnder(join(a.dir, 'front')).sort()).toEqual(numbers.slice(1).map(key).sort());
    expect((await storedKeys()).sort()).toEqual(numbers.map(key).sort());
    for (const n of numbers) expect((await text((await a.cache.get(key(n)))!.stream)).length).toBe(60);
  });

  it("sweeps the front tier a stopped process left, never a live one's", async () => {
    const a = host(1000);
    await a.cache.put(key(16), Buffer.from('left behind'), 'text/plain');
    const b = new ResultCache(redis, { dir: a.dir, maxBytes: 10_000, storage: new S3Storage({ bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials }), frontMaxBytes: 1000 });
    await b.put(key(17), Buffer.from('still mine'), 'text/plain');
    const fronts = () => readdirSync(join(a.dir, 'front')).sort();
    expect(fronts()).toHaveLength(2);
    // An hour later nobody wrote either: b's own stays, a's (which b cannot tell from a dead one) goes.
    const removed = await b.sweepTemp(60_000, Date.now() + 3_600_000);
    expect(removed).toHaveLength(1);
    expect(fronts()).toHaveLength(1);
    expect(await text((await b.get(key(17)))!.stream)).toBe('still mine');
    expect(await text((await a.cache.get(key(16)))!.stream)).toBe('left behind');
  });

  it('evicts past maxBytes from the shared store too', async () => {
    const a = host(1000, 250);
    for (const n of [7, 8, 9]) await a.cache.put(key(n), Buffer.alloc(100, n), 'application/octet-stream');
    expect(await a.cache.get(key(7))).toBeNull();
    expect((await storedKeys()).sort()).toEqual([key(8), key(9)].sort());
    expect(await a.cache.totalBytes()).toBe(200);
  });

  it('answers null, not an error, for an indexed result whose body vanished', async () => {
    const a = host(0);
    await a.cache.put(key(10), Buffer.from('soon gone'), 'text/plain');
    await a.cache.delete(key(10));
    expect(await a.cache.get(key(10))).toBeNull();
    expect(await storedKeys()).toEqual([]);
  });
});
