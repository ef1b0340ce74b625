import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { createRedis, queueOptions, type RedisClient } from '@fopflow/queue';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { startReceiver, Receiver } from '../support/receiver';
import { startRedisCluster, TestRedisCluster } from '../support/redis-cluster';

const AK = 'ak-cluster';
const SK = 'sk-cluster-secret';
const ADMIN = 'admin-token-for-cluster-tests';

interface Status {
  id: string;
  code: number;
  items: Array<{ code: number; key?: string }>;
  notify?: { state: string };
}

/**
 * The platform with REDIS_URL naming a 3-master Redis Cluster and no worker started by hand: the
 * scaler grows the image pool from 0 on the backlog of an async batch, whose jobs end with signed
 * webhooks; then fop URLs (a miss, a hit, a pipeline) run on the instances it started.
 */
describe('the platform on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let platform: Platform;
  let scaler: AppProcess;
  let client: ApiClient;
  let hooks: Receiver;
  let redis: RedisClient;
  let dir: string;
  const admin = { Authorization: `Bearer ${ADMIN}` };

  const readyInstances = async () =>
    ((await (await fetch(`${platform.url}/v1/instances`, { headers: admin })).json()) as { items: Array<{ pool: string; state: string }> }).items.filter(
      (instance) => instance.pool === 'image' && instance.state === 'ready',
    );
  const completed = async (queueName: string) => {
    const queue = new Queue(queueName, queueOptions(redis));
    try {
      return (await queue.getJobCounts('completed')).completed;
    } finally {
      await queue.close();
    }
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = createRedis(cluster.url, 'worker', 'cluster-e2e');
    dir = mkdtempSync(join(tmpdir(), 'fopflow-cluster-e2e-'));
    const pools = join(dir, 'pools.json');
    writeFileSync(
      pools,
      JSON.stringify({
        pools: {
          image: {
            commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'],
            minInstances: 0,
            maxInstances: 2,
            targetPendingPerInstance: 10,
            scaleDownStabilizationS: 600,
            graceMs: 5000,
          },
          av: { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
        },
      }),
    );
    const env = { FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_ADMIN_TOKEN: ADMIN, FOPFLOW_POOLS_FILE: pools, FOPFLOW_ALLOWED_TARGETS: '127.0.0.1' };
    platform = await startPlatform(env, [], { redisUrl: cluster.url });
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('media/photo.jpg', await makeJpeg(800, 600), 'image/jpeg')).status).toBe(200);
    hooks = await startReceiver();
    scaler = startApp('scaler', { ...env, REDIS_URL: cluster.url, FOPFLOW_DATA_DIR: platform.dataDir, FOPFLOW_SCALER_TICK_MS: '300', FOPFLOW_RUNTIME: 'process' });
  }, 90_000);

  afterAll(async () => {
    await scaler?.stop();
    await platform?.stop();
    await hooks?.close();
    redis?.disconnect();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('grows the image pool from 0 on an async backlog; every job ends done with a signed webhook', async () => {
    expect(await readyInstances()).toEqual([]);
    const jobs = Array.from({ length: 12 }, (_, n) => ({ source: { bucket: 'media', key: 'photo.jpg' }, fops: [`imageView2/2/w/${100 + n}`], notifyUrl: hooks.url }));
    const answer = await client.json<{ ids: string[] }>('POST', '/v1/jobs/batch', { jobs });
    expect(answer.status).toBe(202);
    await waitFor('an image instance started by the scaler', async () => (await readyInstances()).length > 0, 60_000);

    const received = await hooks.waitFor(12, 60_000);
    const ids = answer.body.ids;
    expect(received.map((hook) => hook.headers['webhook-id']).sort()).toEqual([...ids].sort());
    for (const hook of received) {
      // Standard Webhooks, checked with the published algorithm: HMAC-SHA256 of id.timestamp.body.
      const signed = `${hook.headers['webhook-id']}.${hook.headers['webhook-timestamp']}.${hook.body}`;
      const expected = createHmac('sha256', Buffer.from(SK)).update(signed).digest();
      const given = Buffer.from(String(hook.headers['webhook-signature']).replace(/^v1,/, ''), 'base64');
      expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
      expect(JSON.parse(hook.body)).toMatchObject({ code: 0 });
    }
    for (const id of ids) {
      await waitFor(`the webhook of ${id} recorded`, async () => (await client.json<Status>('GET', `/v1/jobs/${id}`)).body.notify?.state === 'delivered');
    }
    const status = (await client.json<Status>('GET', `/v1/jobs/${ids[0]}`)).body;
    expect(status).toMatchObject({ id: ids[0], code: 0, items: [{ code: 0 }] });
    expect(scaler.output()).toMatch(/pending \d+, arrivals .* → needed \d+, desired [12]/);
  }, 120_000);

  it('answers a fop URL from a worker, then from the result cache, and runs a | pipeline', async () => {
    const url = `${platform.url}/media/photo.jpg?imageView2/2/w/320`;
    const headers = { Authorization: `Bearer ${ADMIN}` };
    const before = await completed('fop.imageView2.paid');
    const first = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-fop-cache')).toBe('MISS');
    const thumb = Buffer.from(await first.arrayBuffer());
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    const second = await fetch(url, { headers });
    expect(second.headers.get('x-fop-cache')).toBe('HIT');
    expect(Buffer.from(await second.arrayBuffer()).equals(thumb)).toBe(true);
    expect(await completed('fop.imageView2.paid')).toBe(before + 1);

    const pipeline = await fetch(`${platform.url}/media/photo.jpg?imageView2/1/w/64/h/64|imageMogr2/format/png`, { headers });
    expect(pipeline.status).toBe(200);
    expect(await sharp(Buffer.from(await pipeline.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 64, height: 64 });
    // No step of any app wrote keys of two slots at once.
    for (const app of [platform.gateway, scaler]) expect(app.output()).not.toMatch(/CROSSSLOT/);
  }, 60_000);
});
