import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { sendPartialBody } from '../support/raw-http';

const PAID = { ak: 'ak-abuse-paid', sk: 'sk-abuse-paid-secret' };
const FREE = { ak: 'ak-abuse-free', sk: 'sk-abuse-free-secret' };
const ADMIN_TOKEN = 'abuse-suite-admin-token';

const MiB = 1024 * 1024;
/** What an attacker declares it will send. */
const HUGE_BYTES = 256 * MiB;
/** What the test actually sends of it before waiting for the answer. */
const SENT_BYTES = 1024;
/** The backlog gate reuses a tier's count for up to 500 ms; waiting longer makes the next request count afresh. */
const BACKLOG_RECOUNT_MS = 700;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('bounded abuse: bodies read only after the caller is known, the backlog gate on sync fops, sync jobs nobody waits for, caps on custom commands', () => {
  let platform: Platform;
  let paid: ApiClient;
  let free: ApiClient;
  let redis: IORedis;
  let imageView2: Queue;
  let tiersDir: string;

  const waitingSyncJobs = () => imageView2.getWaitingCount();
  const syncWaiterCounts = async () => {
    const keys = await redis.keys('fopflow:sync-waiters:*');
    return Promise.all(keys.map((key) => redis.get(key)));
  };

  beforeAll(async () => {
    tiersDir = mkdtempSync(join(tmpdir(), 'fopflow-tiers-'));
    const tiersPath = join(tiersDir, 'tiers.json');
    writeFileSync(tiersPath, JSON.stringify({ tiers: { paid: { maxBacklog: 3 }, free: { maxBacklog: 1 } } }));
    platform = await startPlatform({
      FOPFLOW_KEYS: `${PAID.ak}:${PAID.sk}:paid,${FREE.ak}:${FREE.sk}:free`,
      FOPFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      FOPFLOW_TIERS_FILE: tiersPath,
      FOPFLOW_SYNC_WAIT_MS: '4000',
      FOPFLOW_MAX_COMMANDS_PER_ACCOUNT: '2',
      FOPFLOW_MAX_INSTANCES_PER_ACCOUNT: '4',
      FOPFLOW_MAX_CUSTOM_INSTANCES: '12',
    });
    paid = new ApiClient(platform.url, PAID.ak, PAID.sk);
    free = new ApiClient(platform.url, FREE.ak, FREE.sk);
    redis = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    imageView2 = new Queue('fop.imageView2.paid', { connection: redis });
    const photo = await makeJpeg(64, 48);
    expect((await paid.upload('abusepaid/a.jpg', photo, 'image/jpeg')).status).toBe(200);
    expect((await free.upload('abusefree/a.jpg', photo, 'image/jpeg')).status).toBe(200);
    // Cached results for the backlog tests, made while a worker still runs; then no worker is left.
    expect((await fetch(`${platform.url}/abusepaid/a.jpg?imageView2/2/w/40`)).status).toBe(200);
    await platform.workers[0].stop();
  }, 60_000);

  afterAll(async () => {
    await imageView2?.close();
    redis?.disconnect();
    await platform?.stop();
    rmSync(tiersDir, { recursive: true, force: true });
  });

  describe('a body is refused unread, and the connection closed, when the caller cannot pass', () => {
    it.each([
      ['an unsigned 256 MiB upload', 'PUT', '/v1/objects/abusepaid/huge.bin', {}, 401, /needs Authorization/],
      ['an unsigned 256 MiB job submission', 'POST', '/v1/jobs', { 'Content-Type': 'application/json' }, 401, /needs Authorization/],
      ['an unsigned pfop form', 'POST', '/pfop/', { 'Content-Type': 'application/x-www-form-urlencoded' }, 401, /needs Authorization/],
      ['a malformed Authorization', 'POST', '/v1/jobs/batch', { Authorization: 'QBox nonsense' }, 401, /malformed/],
      ['an unknown access key', 'PUT', '/v1/buckets/abusenew', { Authorization: 'QBox ak-nobody:c2lnbg==' }, 401, /unknown access key 'ak-nobody'/],
      ['an unknown key uploading a UFOP build', 'POST', '/v1/ufops/anything/builds', { Authorization: 'Qiniu ak-nobody:c2lnbg==' }, 401, /unknown access key/],
      ['a wrong admin token', 'POST', '/v1/ufops', { Authorization: 'Bearer not-the-token' }, 401, /malformed/],
      ['a known key declaring a 256 MiB JSON body', 'POST', '/v1/jobs', { Authorization: `QBox ${PAID.ak}:c2lnbg==` }, 413, /over maxSignedBodyBytes 1048576/],
      ['a known key declaring a 256 MiB bucket setting', 'PUT', '/v1/buckets/abusepaid', { Authorization: `QBox ${PAID.ak}:c2lnbg==` }, 413, /maxSignedBodyBytes/],
      ['the admin token declaring a 256 MiB command registration', 'POST', '/v1/ufops', { Authorization: `Bearer ${ADMIN_TOKEN}` }, 413, /maxSignedBodyBytes/],
      ['a known key with a forged signature uploading 256 MiB', 'PUT', '/v1/objects/abusepaid/huge.bin', { Authorization: `QBox ${PAID.ak}:Zm9yZ2Vk` }, 401, /signature/],
    ])('%s', async (_name, method, path, headers, status, problem) => {
      const answer = await sendPartialBody(platform.url, { method, path, headers, declaredBytes: HUGE_BYTES, sentBytes: SENT_BYTES });
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ code: status, error: expect.stringMatching(problem) });
      expect(answer.headers.connection).toBe('close');
      expect(answer.sentBodyBytes).toBeLessThan(HUGE_BYTES / 1000);
    });

    it('a UFOP build keeps its own larger limit, past which it is refused unread too', async () => {
      const answer = await sendPartialBody(platform.url, {
        method: 'POST',
        path: '/v1/ufops/anything/builds',
        headers: { Authorization: `QBox ${PAID.ak}:c2lnbg==` },
        declaredBytes: 300 * MiB,
        sentBytes: SENT_BYTES,
      });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatch(/over MAX_UFOP_UPLOAD_BYTES 268435456/);
      expect(answer.headers.connection).toBe('close');
    });

    it('nothing of a refused upload was stored', async () => {
      const stat = await paid.call('GET', '/v1/objects/abusepaid/huge.bin');
      expect(stat.status).toBe(404);
    });
  });

  describe('a sync job nobody waits for any more is withdrawn (no worker runs)', () => {
    it('is removed from its queue when its only client goes away', async () => {
      const client = new AbortController();
      const request = fetch(`${platform.url}/abusepaid/a.jpg?imageView2/2/w/41`, { signal: client.signal }).catch((error: Error) => error);
      await waitFor('the sync job to be queued', async () => (await waitingSyncJobs()) === 1);
      client.abort();
      expect(((await request) as Error).name).toBe('AbortError');
      await waitFor('the job to be withdrawn', async () => (await waitingSyncJobs()) === 0);
      expect(await syncWaiterCounts()).toEqual([]);
    });

    it('stays while another request waits on the same job, and goes when that one times out', async () => {
      const first = new AbortController();
      const url = `${platform.url}/abusepaid/a.jpg?imageView2/2/w/42`;
      const abandoned = fetch(url, { signal: first.signal }).catch((error: Error) => error);
      const patient = fetch(url);
      await waitFor('both requests to wait on one job', async () => (await syncWaiterCounts()).join() === '2');
      expect(await waitingSyncJobs()).toBe(1);
      first.abort();
      expect(((await abandoned) as Error).name).toBe('AbortError');
      await waitFor('the first request to stop waiting', async () => (await syncWaiterCounts()).join() === '1');
      expect(await waitingSyncJobs()).toBe(1);

      const timedOut = await patient;
      expect(timedOut.status).toBe(504);
      expect(((await timedOut.json()) as { error: string }).error).toMatch(/syncWaitMs 4000; it was withdrawn/);
      expect(await waitingSyncJobs()).toBe(0);
    });
  });

  describe('sync fops pass the backlog gate of async jobs', () => {
    const submit = (client: ApiClient, bucket: string) => client.json<{ id?: string }>('POST', '/v1/jobs', { source: { bucket, key: 'a.jpg' }, fops: ['imageInfo'] });

    it('past a paid tier maxBacklog: 503 with Retry-After, nothing queued; a cached result still answers', async () => {
      for (let index = 0; index < 3; index++) expect((await submit(paid, 'abusepaid')).status).toBe(202);
      await sleep(BACKLOG_RECOUNT_MS);
      const refused = await fetch(`${platform.url}/abusepaid/a.jpg?imageView2/2/w/43`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refused.json()).toMatchObject({ code: 503, error: expect.stringMatching(/tier 'paid' has \d+ pending jobs, at its maxBacklog 3/) });
      expect(await waitingSyncJobs()).toBe(0);

      const cached = await fetch(`${platform.url}/abusepaid/a.jpg?imageView2/2/w/40`);
      expect(cached.status).toBe(200);
      expect(cached.headers.get('x-fop-cache')).toBe('HIT');
    });

    it('past the free tier maxBacklog: 429 with Retry-After', async () => {
      expect((await submit(free, 'abusefree')).status).toBe(202);
      await sleep(BACKLOG_RECOUNT_MS);
      const refused = await fetch(`${platform.url}/abusefree/a.jpg?imageView2/2/w/43`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refused.json()).toMatchObject({ code: 429, error: expect.stringMatching(/maxBacklog 1/) });
      const freeQueue = new Queue('fop.imageView2.free', { connection: redis });
      expect(await freeQueue.getWaitingCount()).toBe(0);
      await freeQueue.close();
    });
  });

  describe('caps on custom commands and instances (2 commands and 4 instances per key, 12 in all)', () => {
    const operator = (method: string, path: string, body: unknown) =>
      fetch(`${platform.url}${path}`, {
        method,
        body: JSON.stringify(body),
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      });
    const register = (client: ApiClient, name: string, maxInstances: number) => client.json<{ error?: string }>('POST', '/v1/ufops', { name, maxInstances });
    const resize = (client: ApiClient, name: string, instances: number) => client.json<{ error?: string }>('POST', `/v1/ufops/${name}/resize`, { instances });

    it('refuses a key its third command, naming FOPFLOW_MAX_COMMANDS_PER_ACCOUNT', async () => {
      expect((await register(paid, 'capone', 2)).status).toBe(201);
      expect((await register(paid, 'captwo', 2)).status).toBe(201);
      const third = await register(paid, 'capthree', 1);
      expect(third.status).toBe(403);
      expect(third.body).toMatchObject({ code: 403, error: `access key '${PAID.ak}' has 2 custom commands, at FOPFLOW_MAX_COMMANDS_PER_ACCOUNT 2` });
      expect((await paid.call('GET', '/v1/ufops/capthree')).status).toBe(404);
    });

    it('refuses a resize past the key\'s instances, naming FOPFLOW_MAX_INSTANCES_PER_ACCOUNT; shrinking passes', async () => {
      const grow = await resize(paid, 'capone', 3);
      expect(grow.status).toBe(403);
      expect(grow.body.error).toBe(`access key '${PAID.ak}' would ask for 5 instances over its commands, over FOPFLOW_MAX_INSTANCES_PER_ACCOUNT 4`);
      expect((await resize(paid, 'capone', 1)).status).toBe(201);
    });

    it('holds the operator to the global cap only, and every key to it too', async () => {
      expect((await register(free, 'capfree', 2)).status).toBe(201);
      for (const name of ['capop1', 'capop2', 'capop3']) expect((await operator('POST', '/v1/ufops', { name, maxInstances: 1 })).status).toBe(201);
      // The operator now asks for 6 instances: more than a key may, within the 12 of the platform (1+2+2+6 = 11).
      expect((await operator('POST', '/v1/ufops/capop1/resize', { instances: 4 })).status).toBe(201);
      const overGlobal = await resize(free, 'capfree', 4);
      expect(overGlobal.status).toBe(403);
      expect(overGlobal.body.error).toBe('custom commands would ask for 13 instances in all, over FOPFLOW_MAX_CUSTOM_INSTANCES 12');
      const operatorOver = await operator('POST', '/v1/ufops/capop2/resize', { instances: 3 });
      expect(operatorOver.status).toBe(403);
      expect(await operatorOver.json()).toMatchObject({ code: 403, error: expect.stringMatching(/FOPFLOW_MAX_CUSTOM_INSTANCES 12/) });
    });
  });
});
