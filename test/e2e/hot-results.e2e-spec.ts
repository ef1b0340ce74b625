import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import IORedis from 'ioredis';
import sharp from 'sharp';
import { privateDownloadUrl } from '@fopflow/auth';
import { ResultCache } from '@fopflow/cache';
import { ApiClient } from '../support/api-client';
import { makeJpeg, makePng } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform, stopForTeardown } from '../support/platform';
import { freePort, waitFor } from '../support/ports';

/**
 * The gateway's hot path for repeats of a fop URL: a bounded in-memory index answers them
 * without Redis, yet every request is still decided for its caller, a re-uploaded source gets
 * its new result, and a result evicted from the cache is made again instead of half-sent.
 */
const VICTIM = { accessKey: 'victimAK01', secretKey: 'victimSK01-secret' };
const ATTACKER = { accessKey: 'attackAK01', secretKey: 'attackSK01-secret' };
/** The kept source version's lifetime in this suite, ms: long enough that "at once" means the write was seen. */
const SOURCE_ETAG_TTL_MS = 2000;
/** Results up to this size are held in memory; the PNG thumbnails here are larger and stream from disk. */
const BODY_MAX_BYTES = 2048;
const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('hot path for cached fop results', () => {
  let platform: Platform;
  let other: AppProcess | undefined;

  const put = (url: string, path: string, body: Buffer) =>
    fetch(`${url}/v1/objects/${path}`, { method: 'PUT', body, headers: { Authorization: `Bearer ${platform.adminToken}`, 'Content-Type': 'image/jpeg' } });
  const get = (path: string, base = platform.url) => fetch(`${base}/${path}`);
  const signed = (path: string, key: { accessKey: string; secretKey: string }) =>
    fetch(privateDownloadUrl(`${platform.url}/${path}`, { ...key, tier: 'paid' }, Date.now() / 1000 + 600));
  const widthOf = async (answer: Response) => ((await answer.json()) as { width: number }).width;
  const bodyOf = async (answer: Response) => Buffer.from(await answer.arrayBuffer());

  beforeAll(async () => {
    platform = await startPlatform({
      FOPFLOW_KEYS: `${VICTIM.accessKey}:${VICTIM.secretKey}:paid,${ATTACKER.accessKey}:${ATTACKER.secretKey}:paid`,
      FOPFLOW_SOURCE_ETAG_TTL_MS: String(SOURCE_ETAG_TTL_MS),
      FOPFLOW_HOT_RESULT_BODY_MAX_BYTES: String(BODY_MAX_BYTES),
    });
    expect((await put(platform.url, 'pub/photo.jpg', await makeJpeg(600, 400))).status).toBe(200);
  });

  afterAll(async () => {
    if (other) await stopForTeardown(other, 'second gateway');
    await platform?.stop();
  }, 60_000);

  it('serves a repeat from memory as a HIT with the same bytes, and HEAD and If-None-Match alike', async () => {
    const first = await get('pub/photo.jpg?imageInfo');
    expect(first.headers.get('x-fop-cache')).toBe('MISS');
    const made = await bodyOf(first);
    for (let round = 0; round < 3; round++) {
      const repeat = await get('pub/photo.jpg?imageInfo');
      expect(repeat.status).toBe(200);
      expect(repeat.headers.get('x-fop-cache')).toBe('HIT');
      expect(repeat.headers.get('content-length')).toBe(String(made.length));
      expect((await bodyOf(repeat)).equals(made)).toBe(true);
    }
    const head = await fetch(`${platform.url}/pub/photo.jpg?imageInfo`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(made.length));
    const unchanged = await fetch(`${platform.url}/pub/photo.jpg?imageInfo`, { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(unchanged.status).toBe(304);
  });

  it('answers the new result at once after an overwrite through this gateway', async () => {
    expect((await put(platform.url, 'pub/moving.jpg', await makeJpeg(64, 48))).status).toBe(200);
    expect(await widthOf(await get('pub/moving.jpg?imageInfo'))).toBe(64);
    const repeat = await get('pub/moving.jpg?imageInfo');
    expect(repeat.headers.get('x-fop-cache')).toBe('HIT');
    expect(await widthOf(repeat)).toBe(64);

    expect((await put(platform.url, 'pub/moving.jpg', await makeJpeg(96, 48))).status).toBe(200);
    const after = await get('pub/moving.jpg?imageInfo');
    expect(after.headers.get('x-fop-cache')).toBe('MISS');
    expect(await widthOf(after)).toBe(96);
  });

  it('answers the new result within FOPFLOW_SOURCE_ETAG_TTL_MS after an overwrite through another gateway', async () => {
    const port = await freePort();
    other = startApp('gateway', {
      REDIS_URL: platform.redis.url,
      FOPFLOW_DATA_DIR: platform.dataDir,
      FOPFLOW_ADMIN_TOKEN: platform.adminToken,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    const otherUrl = `http://127.0.0.1:${port}`;
    await waitFor('second gateway /ready', async () => (await fetch(`${otherUrl}/ready`)).ok);

    expect((await put(platform.url, 'pub/elsewhere.jpg', await makeJpeg(64, 48))).status).toBe(200);
    expect(await widthOf(await get('pub/elsewhere.jpg?imageInfo'))).toBe(64);
    expect((await get('pub/elsewhere.jpg?imageInfo')).headers.get('x-fop-cache')).toBe('HIT');

    expect((await put(otherUrl, 'pub/elsewhere.jpg', await makeJpeg(128, 48))).status).toBe(200);
    // This gateway did not see the write: its kept version ages out within the stated bound.
    await sleep(SOURCE_ETAG_TTL_MS + 300);
    const after = await get('pub/elsewhere.jpg?imageInfo');
    expect(after.headers.get('x-fop-cache')).toBe('MISS');
    expect(await widthOf(after)).toBe(128);
  });

  it('makes a result again when another process evicted it from the cache, never a 500 or a short body', async () => {
    const url = 'pub/photo.jpg?imageView2/2/w/300/format/png';
    const first = await get(url);
    expect(first.headers.get('x-fop-cache')).toBe('MISS');
    const made = await bodyOf(first);
    expect(made.length).toBeGreaterThan(BODY_MAX_BYTES);
    expect((await get(url)).headers.get('x-fop-cache')).toBe('HIT');

    // What another gateway's or worker's eviction does: the shared index entry and the file go.
    const prefix = first.headers.get('etag')!.replace(/"/g, '');
    const cacheDir = join(platform.dataDir, 'cache');
    const file = readdirSync(cacheDir, { recursive: true }).map(String).find((name) => name.includes(`/${prefix}`))!;
    expect(file).toBeDefined();
    const redis = new IORedis(platform.redis.url);
    try {
      await new ResultCache(redis, { dir: cacheDir, maxBytes: 1 << 30 }).delete(file.split('/')[1]);
    } finally {
      redis.disconnect();
    }

    const again = await get(url);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-fop-cache')).toBe('MISS');
    const remade = await bodyOf(again);
    expect(remade.length).toBe(Number(again.headers.get('content-length')));
    expect(await sharp(remade).metadata()).toMatchObject({ format: 'png', width: 300, height: 200 });
    expect((await get(url)).headers.get('x-fop-cache')).toBe('HIT');
  });

  describe('another tenant, for a result that sits in the index', () => {
    const logo = `watermark/1/image/${b64('vpriv:logo.png')}`;

    beforeAll(async () => {
      const victim = new ApiClient(platform.url, VICTIM.accessKey, VICTIM.secretKey);
      expect((await victim.call('PUT', '/v1/buckets/vpriv', { private: true })).status).toBe(200);
      expect((await victim.upload('vpriv/secret.jpg', await makeJpeg(120, 80), 'image/jpeg')).status).toBe(200);
      expect((await victim.upload('vpriv/logo.png', await makePng(20, 20), 'image/png')).status).toBe(200);
      expect((await victim.upload('vpub/photo.jpg', await makeJpeg(120, 80), 'image/jpeg')).status).toBe(200);
    });

    it('refuses the attacker\'s token and no token on the victim\'s private source', async () => {
      expect((await signed('vpriv/secret.jpg?imageInfo', VICTIM)).headers.get('x-fop-cache')).toBe('MISS');
      const hit = await signed('vpriv/secret.jpg?imageInfo', VICTIM);
      expect(hit.headers.get('x-fop-cache')).toBe('HIT');
      expect(await widthOf(hit)).toBe(120);

      const attacked = await signed('vpriv/secret.jpg?imageInfo', ATTACKER);
      expect(attacked.status).toBe(401);
      expect(await attacked.json()).toMatchObject({ code: 401, error: expect.stringContaining('not signed by the owner') });
      const anonymous = await get('vpriv/secret.jpg?imageInfo');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('x-fop-cache')).toBeNull();
    });

    it('refuses the attacker a public source whose fop reads the victim\'s private logo', async () => {
      expect((await signed(`vpub/photo.jpg?${logo}`, VICTIM)).status).toBe(200);
      expect((await signed(`vpub/photo.jpg?${logo}`, VICTIM)).headers.get('x-fop-cache')).toBe('HIT');

      const attacked = await signed(`vpub/photo.jpg?${logo}`, ATTACKER);
      expect(attacked.status).toBe(404);
      expect(await attacked.json()).toMatchObject({ code: 404, error: expect.stringContaining('step 1 (watermark) reads vpriv:logo.png') });
      expect((await get(`vpub/photo.jpg?${logo}`)).status).toBe(404);
    });

    it('refuses anonymous readers at once when the owner makes the bucket private', async () => {
      expect((await get('vpub/photo.jpg?imageInfo')).status).toBe(200);
      expect((await get('vpub/photo.jpg?imageInfo')).headers.get('x-fop-cache')).toBe('HIT');
      const victim = new ApiClient(platform.url, VICTIM.accessKey, VICTIM.secretKey);
      expect((await victim.call('PUT', '/v1/buckets/vpub', { private: true })).status).toBe(200);
      const refused = await get('vpub/photo.jpg?imageInfo');
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 401, error: expect.stringContaining("bucket 'vpub' is private") });
    });
  });

  // Last: Redis comes back empty.
  it('answers a repeat from the index with Redis gone, and a new fop URL with a 503 JSON', async () => {
    const url = 'pub/photo.jpg?imageView2/1/w/80/h/80';
    expect((await get(url)).headers.get('x-fop-cache')).toBe('MISS');
    const made = await bodyOf(await get(url));

    await platform.redis.kill();
    try {
      const repeat = await get(url);
      expect(repeat.status).toBe(200);
      expect(repeat.headers.get('x-fop-cache')).toBe('HIT');
      expect((await bodyOf(repeat)).equals(made)).toBe(true);

      const fresh = await get('pub/photo.jpg?imageView2/1/w/81/h/81');
      expect(fresh.status).toBe(503);
      expect(await fresh.json()).toMatchObject({ code: 503, error: expect.stringContaining('queue store unavailable') });
    } finally {
      // Back for the apps' orderly shutdown, which closes their queues through it.
      await platform.redis.restart();
    }
  });
});
