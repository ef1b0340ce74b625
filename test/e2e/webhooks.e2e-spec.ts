import { createHmac, timingSafeEqual } from 'node:crypto';
import qiniu from 'qiniu';
import { operationManager, sdkCall } from '../support/qiniu-sdk';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';
import { Received, Receiver, startReceiver } from '../support/receiver';

interface Attempt {
  at: number;
  outcome: string;
  status?: number;
  error?: string;
}

interface Status {
  id: string;
  code: number;
  desc: string;
  items: Array<{ code: number }>;
  notify?: { url: string; state: string; attempts: Attempt[] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const AK = 'ak-hooks';
const SK = 'sk-hooks-secret';
/** Delays before attempts 1–4, seconds: four attempts about a second apart (±20 % jitter). */
const SCHEDULE = [0, 1, 1, 1];

/**
 * Standard Webhooks, checked with the published algorithm only (not Fopflow's code): base64
 * HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, the secret's raw bytes as key, one of
 * the space-separated `v1,<sig>` entries matching; and the timestamp close to when it arrived.
 */
function verifyStandardWebhook(hook: Received, secret: string): void {
  const id = String(hook.headers['webhook-id']);
  const timestamp = String(hook.headers['webhook-timestamp']);
  expect(timestamp).toMatch(/^\d+$/);
  // Fresh: stamped (whole seconds) when this attempt was signed, just before it arrived.
  const lagS = hook.at / 1000 - Number(timestamp);
  expect(lagS).toBeGreaterThan(-1);
  expect(lagS).toBeLessThan(2);
  const expected = createHmac('sha256', Buffer.from(secret)).update(`${id}.${timestamp}.${hook.body}`).digest();
  const given = String(hook.headers['webhook-signature'])
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  expect(given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected))).toBe(true);
}

describe('webhook delivery: retries, Retry-After, 410, giving up, restarts and Qiniu callbacks', () => {
  let platform: Platform;
  let client: ApiClient;
  const receivers: Receiver[] = [];

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const started = await startReceiver(...args);
    receivers.push(started);
    return started;
  };
  const submit = async (notifyUrl: string) => {
    const answer = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'hooks', key: 'photo.jpg' }, fops: ['imageInfo'], notifyUrl });
    expect(answer.status).toBe(202);
    return answer.body.id;
  };
  const status = async (id: string) => (await client.json<Status>('GET', `/v1/jobs/${id}`)).body;
  /** The status once the webhook has settled (delivered or failed for good). */
  const settled = async (id: string, timeoutMs = 20_000) => {
    let last: Status | undefined;
    await waitFor(`the webhook of ${id} to settle`, async () => {
      last = await status(id);
      return last.notify?.state === 'delivered' || last.notify?.state === 'failed';
    }, timeoutMs);
    return last!;
  };

  beforeAll(async () => {
    platform = await startPlatform({
      FOPFLOW_KEYS: `${AK}:${SK}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
      FOPFLOW_WEBHOOK_RETRY_S: SCHEDULE.join(','),
    });
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('hooks/photo.jpg', await makeJpeg(64, 48), 'image/jpeg')).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(receivers.map((started) => started.close()));
    await platform?.stop();
  });

  it('retries after 500s and delivers on attempt 3: one webhook-id, each attempt freshly and validly signed', async () => {
    const hooks = await receiver((attempt) => (attempt <= 2 ? 500 : 200));
    const id = await submit(hooks.url);

    const received = await hooks.waitFor(3);
    const final = await settled(id);
    expect(final.code).toBe(0);
    expect(final.notify).toMatchObject({
      url: hooks.url,
      state: 'delivered',
      attempts: [
        { outcome: 'retry', status: 500 },
        { outcome: 'retry', status: 500 },
        { outcome: 'delivered', status: 200 },
      ],
    });

    expect(received).toHaveLength(3);
    expect(received.map((hook) => hook.headers['webhook-id'])).toEqual([id, id, id]);
    for (const hook of received) {
      expect(hook.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(hook.body)).toMatchObject({ id, code: 0 });
      verifyStandardWebhook(hook, SK);
    }
    // Attempts 1 and 3 are at least two scheduled delays (≥ 0.8 s each) apart: a new timestamp, a new signature.
    const timestamps = received.map((hook) => Number(hook.headers['webhook-timestamp']));
    expect(timestamps[1]).toBeGreaterThanOrEqual(timestamps[0]);
    expect(timestamps[2]).toBeGreaterThan(timestamps[0]);
    expect(received[2].headers['webhook-signature']).not.toBe(received[0].headers['webhook-signature']);
  });

  it("waits at least the receiver's Retry-After before the next attempt, even when the schedule says sooner", async () => {
    const hooks = await receiver((attempt) => (attempt === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : 200));
    const id = await submit(hooks.url);

    const [first, second] = await hooks.waitFor(2);
    // The schedule alone would retry after about 1 s (at most 1.2 s with jitter).
    expect(second.at - first.at).toBeGreaterThanOrEqual(1800);
    expect(second.at - first.at).toBeLessThan(10_000);
    expect((await settled(id)).notify).toMatchObject({
      state: 'delivered',
      attempts: [
        { outcome: 'retry', status: 429 },
        { outcome: 'delivered', status: 200 },
      ],
    });
  });

  it('stops at once on 410 Gone: one attempt, job code 4 "Callback failed"', async () => {
    const hooks = await receiver(() => 410);
    const id = await submit(hooks.url);

    const final = await settled(id);
    expect(final).toMatchObject({ code: 4, desc: 'Callback failed' });
    expect(final.items.map((item) => item.code)).toEqual([0]);
    expect(final.notify).toMatchObject({ state: 'failed', attempts: [{ outcome: 'gone', status: 410 }] });
    // A retry would have come about a second later; give it well over that.
    await sleep(2500);
    expect(hooks.received).toHaveLength(1);
    expect((await status(id)).notify?.attempts).toHaveLength(1);
  });

  it('gives up after the whole schedule when the receiver keeps failing: code 4, one attempt per entry', async () => {
    const hooks = await receiver(() => 500);
    const id = await submit(hooks.url);

    const final = await settled(id);
    expect(final).toMatchObject({ code: 4, desc: 'Callback failed' });
    expect(final.notify!.state).toBe('failed');
    expect(final.notify!.attempts).toHaveLength(SCHEDULE.length);
    expect(final.notify!.attempts.every((attempt) => attempt.outcome === 'retry' && attempt.status === 500)).toBe(true);
    expect(hooks.received).toHaveLength(SCHEDULE.length);
    // Nothing after the last attempt.
    await sleep(2000);
    expect(hooks.received).toHaveLength(SCHEDULE.length);
  });

  it('keeps a pending retry across a worker restart and delivers once the receiver is up', async () => {
    // Nothing listens on this port yet: the first attempts are refused connections.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks/fopflow`;
    const id = await submit(url);

    await waitFor('a first failed attempt', async () => ((await status(id)).notify?.attempts.length ?? 0) >= 1);
    const [worker] = platform.workers;
    expect(await worker.stop('SIGTERM')).toBe(0);
    const atStop = (await status(id)).notify!;
    expect(atStop.state).toBe('pending');
    expect(atStop.attempts.length).toBeGreaterThanOrEqual(1);
    expect(atStop.attempts.length).toBeLessThan(SCHEDULE.length);
    expect(atStop.attempts[0]).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/ECONNREFUSED|refused/i) });
    expect(atStop.attempts[0].status).toBeUndefined();

    // No worker runs now: the retry waits in Redis, and nothing is delivered.
    const hooks = await receiver(() => 200, port);
    await sleep(1500);
    expect(hooks.received).toHaveLength(0);

    await platform.startWorker();
    const [hook] = await hooks.waitFor(1);
    expect(hook.headers['webhook-id']).toBe(id);
    expect(JSON.parse(hook.body)).toMatchObject({ id, code: 0 });
    verifyStandardWebhook(hook, SK);

    const final = await settled(id);
    expect(final.code).toBe(0);
    expect(final.notify!.state).toBe('delivered');
    expect(final.notify!.attempts.slice(0, atStop.attempts.length)).toEqual(atStop.attempts);
    expect(final.notify!.attempts.at(-1)).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(final.notify!.attempts.length).toBeLessThanOrEqual(SCHEDULE.length);
    expect(hooks.received).toHaveLength(1);
  });

  it("signs a pfop job's callback the Qiniu way, which the official SDK's isQiniuCallback accepts", async () => {
    const { mac, operations } = operationManager(platform.url, AK, SK);
    const hooks = await receiver();

    const notifyURL = `${hooks.url}?source=pfop&n=1`;
    const { respBody, respInfo } = await sdkCall((done) =>
      operations.pfop('hooks', 'photo.jpg', ['imageView2/1/w/16/h/16'], '', { notifyURL, force: true }, done),
    );
    expect(respInfo.statusCode).toBe(200);
    const { persistentId } = respBody as { persistentId: string };

    const [hook] = await hooks.waitFor(1);
    expect(JSON.parse(hook.body)).toMatchObject({ id: persistentId, code: 0, items: [{ code: 0 }] });
    const authorization = String(hook.headers.authorization);
    expect(authorization).toMatch(new RegExp(`^QBox ${AK}:[A-Za-z0-9_-]+=*$`));
    const requestUrl = `http://${hook.headers.host}${hook.path}`;
    expect(hook.path).toBe('/hooks/fopflow?source=pfop&n=1');
    // JSON body: Qiniu's callback signature covers path and query, so the SDK is given no body.
    expect(qiniu.util.isQiniuCallback(mac, requestUrl, null, authorization)).toBe(true);
    expect(qiniu.util.isQiniuCallback(new qiniu.auth.digest.Mac(AK, 'another-secret'), requestUrl, null, authorization)).toBe(false);
    expect(qiniu.util.isQiniuCallback(mac, requestUrl.replace('n=1', 'n=2'), null, authorization)).toBe(false);
    expect((await settled(persistentId)).notify).toMatchObject({ state: 'delivered', attempts: [{ outcome: 'delivered', status: 200 }] });
  });
});
