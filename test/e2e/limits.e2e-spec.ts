import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import qiniu from 'qiniu';
import sharp from 'sharp';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';

interface Status {
  id: string;
  code: number;
  items: Array<{ code: number }>;
}

interface ErrorBody {
  code: number;
  error: string;
}

/** The `error` of a `{"code","error"}` answer. */
const errorOf = async (answer: Response) => ((await answer.json()) as ErrorBody).error;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The backlog gate reuses a tier's count for up to 500 ms; waiting longer makes the next submission count afresh. */
const BACKLOG_RECOUNT_MS = 700;

const PAID = { ak: 'ak-paid', sk: 'sk-paid-secret' };
const OTHER = { ak: 'ak-other', sk: 'sk-other-secret' };
const FREE = { ak: 'ak-free', sk: 'sk-free-secret' };
const keysEnv = `${PAID.ak}:${PAID.sk}:paid,${OTHER.ak}:${OTHER.sk}:paid,${FREE.ak}:${FREE.sk}:free`;

/** A tiers file of the test's own, so that limits are tiny; removed with `remove`. */
function tiersFile(content: unknown): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-tiers-'));
  const path = join(dir, 'tiers.json');
  writeFileSync(path, JSON.stringify(content));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function withRedis<T>(url: string, use: (redis: IORedis) => Promise<T>): Promise<T> {
  const redis = new IORedis(url, { maxRetriesPerRequest: null });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe('limits: backlog, request rates, tier shares, admin token, private buckets, retention', () => {
  describe('backlog (no workers, maxBacklog 2 per tier, a private pipeline with maxBacklog 1)', () => {
    let platform: Platform;
    let tiers: ReturnType<typeof tiersFile>;
    let paid: ApiClient;
    let free: ApiClient;

    const submit = (client: ApiClient, bucket: string, extra: Record<string, unknown> = {}) =>
      client.json<{ id?: string } & Partial<ErrorBody>>('POST', '/v1/jobs', { source: { bucket, key: 'photo.jpg' }, fops: ['imageInfo'], ...extra });
    const listed = async (client: ApiClient) => (await client.json<{ items: Status[] }>('GET', '/v1/jobs')).body.items.map((item) => item.id);
    const storedJobs = () => withRedis(platform.redis.url, async (redis) => (await redis.keys('fopflow:pjob:*')).length);

    beforeAll(async () => {
      tiers = tiersFile({
        tiers: { paid: { maxBacklog: 2 }, free: { maxBacklog: 2 } },
        pipelines: { ingest: { owner: PAID.ak, maxBacklog: 1 } },
      });
      platform = await startPlatform({ FOPFLOW_KEYS: keysEnv, FOPFLOW_TIERS_FILE: tiers.path }, []);
      paid = new ApiClient(platform.url, PAID.ak, PAID.sk);
      free = new ApiClient(platform.url, FREE.ak, FREE.sk);
      const photo = await makeJpeg(32, 24);
      expect((await paid.upload('paidbkt/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
      expect((await free.upload('freebkt/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
    }, 60_000);

    afterAll(async () => {
      await platform?.stop();
      tiers?.remove();
    });

    it('refuses a free tier past its maxBacklog with 429 and Retry-After, writing nothing; paid is still admitted, then refused 503', async () => {
      const first = await submit(free, 'freebkt');
      const second = await submit(free, 'freebkt');
      expect([first.status, second.status]).toEqual([202, 202]);
      await sleep(BACKLOG_RECOUNT_MS);

      const refused = await submit(free, 'freebkt');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body).toEqual({ code: 429, error: expect.stringMatching(/tier 'free' has 2 pending jobs, at its maxBacklog 2/) });
      expect(refused.body.id).toBeUndefined();
      // Nothing was written for the refused job: the owner still has two, and Redis holds two records.
      expect((await listed(free)).sort()).toEqual([first.body.id, second.body.id].sort());
      expect(await storedJobs()).toBe(2);

      // The free tier's backlog is the free tier's: a paid key is admitted on the same platform.
      const paidFirst = await submit(paid, 'paidbkt');
      const paidSecond = await submit(paid, 'paidbkt');
      expect([paidFirst.status, paidSecond.status]).toEqual([202, 202]);
      await sleep(BACKLOG_RECOUNT_MS);
      const paidRefused = await submit(paid, 'paidbkt');
      expect(paidRefused.status).toBe(503);
      expect(Number(paidRefused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(paidRefused.body.error).toMatch(/tier 'paid' has 2 pending jobs, at its maxBacklog 2/);
      expect(await listed(paid)).toHaveLength(2);
      expect(await storedJobs()).toBe(4);
    });

    it("gives a private pipeline a backlog of its own, and only its owner may use it", async () => {
      const taken = await submit(paid, 'paidbkt', { pipeline: 'ingest' });
      expect(taken.status).toBe(202);
      const connection = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue('fop.imageInfo.ingest', { connection });
      try {
        expect(await queue.getJob(`${taken.body.id}-0`)).toBeDefined();
      } finally {
        await queue.close();
        connection.disconnect();
      }
      await sleep(BACKLOG_RECOUNT_MS);
      const full = await submit(paid, 'paidbkt', { pipeline: 'ingest' });
      expect(full.status).toBe(503);
      expect(full.body.error).toMatch(/tier 'ingest' has 1 pending jobs, at its maxBacklog 1/);

      const stranger = await submit(free, 'freebkt', { pipeline: 'ingest' });
      expect(stranger.status).toBe(400);
      expect(stranger.body.error).toMatch(/no such pipeline 'ingest'/);
    });
  });

  describe('request rates (free: 3 per second)', () => {
    let platform: Platform;
    let tiers: ReturnType<typeof tiersFile>;

    beforeAll(async () => {
      tiers = tiersFile({ tiers: { free: { requestsPerSecond: 3, concurrentConnections: 32 }, paid: { concurrentConnections: 32 } } });
      platform = await startPlatform({ FOPFLOW_KEYS: keysEnv, FOPFLOW_TIERS_FILE: tiers.path }, []);
    }, 60_000);

    afterAll(async () => {
      await platform?.stop();
      tiers?.remove();
    });

    it('answers part of a free burst 429 with Retry-After naming the limit; a paid key is not affected', async () => {
      const free = new ApiClient(platform.url, FREE.ak, FREE.sk);
      const paid = new ApiClient(platform.url, PAID.ak, PAID.sk);
      const burst = await Promise.all(Array.from({ length: 8 }, () => free.call('GET', '/v1/jobs')));

      const refused = burst.filter((answer) => answer.status === 429);
      const passed = burst.filter((answer) => answer.status === 200);
      expect(refused.length + passed.length).toBe(8);
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(passed.length).toBeGreaterThanOrEqual(1);
      expect(passed.length).toBeLessThanOrEqual(6);
      for (const answer of refused) {
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await answer.json()).toEqual({
          code: 429,
          error: expect.stringMatching(/^over the limit of 3 requests per second for access key 'ak-free' \(tier 'free'\); retry after \d+ s$/),
        });
      }

      // Right after, while the free key is held back, the paid key goes through every time.
      const paidBurst = await Promise.all(Array.from({ length: 8 }, () => paid.call('GET', '/v1/jobs')));
      expect(paidBurst.map((answer) => answer.status)).toEqual(Array(8).fill(200));

      // And the free key is let through again once its window has passed.
      await waitFor('the free key to pass again', async () => {
        await sleep(250);
        return (await free.call('GET', '/v1/jobs')).status === 200;
      }, 10_000);
    });
  });

  describe('one worker: tier shares, admin token, private buckets, status retention', () => {
    const ADMIN_TOKEN = 'admin-token-for-limits';
    let platform: Platform;
    let owner: ApiClient;
    let other: ApiClient;
    let free: ApiClient;

    /** Status of `ids` as `client` sees them, polled gently (the free key has 20 requests per second). */
    const statuses = async (client: ApiClient, ids: string[]) =>
      Promise.all(ids.map(async (id) => (await client.json<Status>('GET', `/v1/jobs/${id}`)).body));
    const ended = (status: Status) => status.code === 0 || status.code === 3 || status.code === 4;
    const submit = (client: ApiClient, body: Record<string, unknown>) => client.json<{ id: string } & Partial<ErrorBody>>('POST', '/v1/jobs', body);

    beforeAll(async () => {
      platform = await startPlatform(
        { FOPFLOW_KEYS: keysEnv, FOPFLOW_ADMIN_TOKEN: ADMIN_TOKEN, FOPFLOW_STATUS_RETENTION_S: '120' },
        // One imageView2 job at once: with paid 3 / free 1 that is 1 for each tier (never below 1).
        [{ FOPFLOW_CONCURRENCY: 'imageView2=1' }],
      );
      owner = new ApiClient(platform.url, PAID.ak, PAID.sk);
      other = new ApiClient(platform.url, OTHER.ak, OTHER.sk);
      free = new ApiClient(platform.url, FREE.ak, FREE.sk);
    }, 60_000);

    afterAll(() => platform?.stop());

    it('runs free jobs while paid ones are still queued: tiers share a command, free never starves', async () => {
      // A noisy image re-encoded as PNG (no shrink-on-load, slow encoder) keeps each job busy a while.
      const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
        .jpeg({ quality: 90 })
        .toBuffer();
      expect((await owner.upload('paidwork/big.jpg', big, 'image/jpeg')).status).toBe(200);
      expect((await free.upload('freework/big.jpg', big, 'image/jpeg')).status).toBe(200);

      // Twelve paid items first (distinct widths: no result is shared), then two free jobs.
      const paidIds: string[] = [];
      for (let job = 0; job < 2; job++) {
        const fops = Array.from({ length: 6 }, (_, i) => `imageView2/2/w/${1500 + job * 10 + i}/format/png`);
        const answer = await submit(owner, { source: { bucket: 'paidwork', key: 'big.jpg' }, fops });
        expect(answer.status).toBe(202);
        paidIds.push(answer.body.id);
      }
      const freeIds: string[] = [];
      for (const width of [1400, 1401]) {
        const answer = await submit(free, { source: { bucket: 'freework', key: 'big.jpg' }, fops: [`imageView2/2/w/${width}/format/png`] });
        expect(answer.status).toBe(202);
        freeIds.push(answer.body.id);
      }

      let freeDone: Status[] = [];
      await waitFor('the free jobs to end', async () => {
        await sleep(200);
        freeDone = await statuses(free, freeIds);
        return freeDone.every(ended);
      }, 30_000);
      const paidNow = await statuses(owner, paidIds);
      expect(freeDone.map((status) => status.code)).toEqual([0, 0]);
      const paidOpen = paidNow.flatMap((status) => status.items).filter((item) => item.code === 1 || item.code === 2);
      expect(paidOpen.length).toBeGreaterThan(0);

      // Paid finishes too, and the platform is idle for what follows.
      await waitFor('the paid jobs to end', async () => (await statuses(owner, paidIds)).every(ended), 60_000);
      expect((await statuses(owner, paidIds)).map((status) => status.code)).toEqual([0, 0]);
    }, 90_000);

    it('guards /admin/queues with FOPFLOW_ADMIN_TOKEN: 401 with a Basic challenge, 200 with Bearer or Basic', async () => {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const without = await fetch(`${platform.url}${path}`);
        expect(without.status).toBe(401);
        expect(without.headers.get('www-authenticate')).toMatch(/^Basic/);
        expect(await errorOf(without)).toMatch(/FOPFLOW_ADMIN_TOKEN/);
      }
      const wrong = await fetch(`${platform.url}/admin/queues`, { headers: { Authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
      const bearer = await fetch(`${platform.url}/admin/queues`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(bearer.status).toBe(200);
      expect(await bearer.text()).toMatch(/<html/i);
      const basic = await fetch(`${platform.url}/admin/queues`, { headers: { Authorization: `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}` } });
      expect(basic.status).toBe(200);
    });

    it("serves a private bucket only through its owner's download token, and keeps other keys out", async () => {
      const created = await owner.json<{ name: string; private: boolean; owner?: string }>('PUT', '/v1/buckets/secret', { private: true });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ name: 'secret', private: true, owner: PAID.ak });
      expect((await owner.upload('secret/photo.jpg', await makeJpeg(200, 150), 'image/jpeg')).status).toBe(200);

      // Anonymous reads, raw and processed.
      for (const path of ['/secret/photo.jpg', '/secret/photo.jpg?imageView2/2/w/50']) {
        const anonymous = await fetch(`${platform.url}${path}`);
        expect(anonymous.status).toBe(401);
        expect(await errorOf(anonymous)).toMatch(/private/);
      }

      // URLs made by Qiniu's official SDK, as an existing Qiniu user would make them.
      const config = new qiniu.conf.Config();
      const deadline = Math.trunc(Date.now() / 1000) + 3600;
      const owners = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(PAID.ak, PAID.sk), config);
      const raw = await fetch(owners.privateDownloadUrl(platform.url, 'secret/photo.jpg', deadline));
      expect(raw.status).toBe(200);
      expect((await sharp(Buffer.from(await raw.arrayBuffer())).metadata()).width).toBe(200);
      const fopUrl = owners.privateDownloadUrl(platform.url, 'secret/photo.jpg?imageView2/2/w/50', deadline);
      const processed = await fetch(fopUrl);
      expect(processed.status).toBe(200);
      expect((await sharp(Buffer.from(await processed.arrayBuffer())).metadata()).width).toBe(50);
      // The token covers the fop: another width with the same token is refused.
      expect((await fetch(fopUrl.replace('w/50', 'w/60'))).status).toBe(401);

      const expired = await fetch(owners.privateDownloadUrl(platform.url, 'secret/photo.jpg', Math.trunc(Date.now() / 1000) - 60));
      expect(expired.status).toBe(401);
      expect(await errorOf(expired)).toMatch(/download token expired at e=\d+/);

      const others = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(OTHER.ak, OTHER.sk), config);
      const foreign = await fetch(others.privateDownloadUrl(platform.url, 'secret/photo.jpg', deadline));
      expect(foreign.status).toBe(401);
      expect(await errorOf(foreign)).toMatch(/not signed by the owner of bucket 'secret'/);

      // Another key may not write, list, reconfigure or process the owner's bucket; being private,
      // the bucket answers as a missing one would, so its existence does not leak.
      const upload = await other.upload('secret/intruder.jpg', await makeJpeg(10, 10), 'image/jpeg');
      expect(upload.status).toBe(404);
      expect(await errorOf(upload)).toMatch(/no such bucket 'secret'/);
      expect((await other.call('GET', '/v1/objects/secret')).status).toBe(404);
      expect((await other.call('GET', '/v1/objects/secret/photo.jpg')).status).toBe(404);
      expect((await other.call('PUT', '/v1/buckets/secret', { private: false })).status).toBe(404);
      const job = await submit(other, { source: { bucket: 'secret', key: 'photo.jpg' }, fops: ['imageInfo'] });
      expect(job.status).toBe(404);
      expect((await other.json<{ items: unknown[] }>('GET', '/v1/jobs')).body.items).toHaveLength(0);
      expect((await fetch(`${platform.url}/secret/intruder.jpg`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);

      // The owner still lists and processes it.
      expect((await owner.json<{ items: Array<{ key: string }> }>('GET', '/v1/objects/secret')).body.items.map((item) => item.key)).toEqual(['photo.jpg']);
      // And an operator with the admin token reads it without a download token.
      expect((await fetch(`${platform.url}/secret/photo.jpg`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    });

    it('keeps an ended job for FOPFLOW_STATUS_RETENTION_S, and answers 404 / 612 once its record is gone', async () => {
      expect((await owner.upload('kept/photo.jpg', await makeJpeg(40, 30), 'image/jpeg')).status).toBe(200);
      const { body } = await submit(owner, { source: { bucket: 'kept', key: 'photo.jpg' }, fops: ['imageInfo'] });
      const id = body.id;
      await waitFor(`job ${id} to end`, async () => ended((await owner.json<Status>('GET', `/v1/jobs/${id}`)).body));

      const key = `fopflow:pjob:${id}`;
      await withRedis(platform.redis.url, async (redis) => {
        const ttl = await redis.ttl(key);
        // Before the end the record carries twice the retention (240 s); the end sets it to 120 s.
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(120);
        // Expire it now, as the clock would after 120 s.
        expect(await redis.pexpire(key, 1)).toBe(1);
        await waitFor('the record to expire', async () => (await redis.exists(key)) === 0, 5000);
      });

      const status = await owner.json<ErrorBody>('GET', `/v1/jobs/${id}`);
      expect(status.status).toBe(404);
      expect(status.body.error).toMatch(new RegExp(`no such job '${id.replace('.', '\\.')}'`));
      const prefop = await fetch(`${platform.url}/status/get/prefop?id=${id}`);
      expect(prefop.status).toBe(612);
      expect(await prefop.json()).toEqual({ code: 612, error: expect.stringMatching(/no such persistentId/) });
      const listed = await owner.json<{ items: Status[] }>('GET', '/v1/jobs');
      expect(listed.body.items.map((item) => item.id)).not.toContain(id);
    });
  });
});
