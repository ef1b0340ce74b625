import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';

const AK = 'ak-recovery';
const SK = 'sk-recovery-secret';
const RETENTION_S = 600;
const STATUS_RETENTION_S = 900;
const RETENTION_COUNT = 123;

interface Status {
  id: string;
  code: number;
}

describe('jobs after failures: idempotency claims and bounded retention', () => {
  let platform: Platform;
  let client: ApiClient;
  let redis: IORedis;
  let receiver: Receiver;
  const queues: Queue[] = [];

  const queue = (name: string) => {
    const opened = new Queue(name, { connection: redis });
    queues.push(opened);
    return opened;
  };
  const submit = (body: unknown, headers?: Record<string, string>) => client.json<{ id: string; error?: string }>('POST', '/v1/jobs', body, headers);
  const ended = async (id: string) => {
    let last: Status | undefined;
    await waitFor(`job ${id} to end`, async () => {
      last = (await client.json<Status>('GET', `/v1/jobs/${id}`)).body;
      return last.code === 0 || last.code === 3 || last.code === 4;
    });
    return last!;
  };

  beforeAll(async () => {
    platform = await startPlatform({
      FOPFLOW_KEYS: `${AK}:${SK}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
      FOPFLOW_JOB_RETENTION_S: String(RETENTION_S),
      FOPFLOW_STATUS_RETENTION_S: String(STATUS_RETENTION_S),
      FOPFLOW_JOB_RETENTION_COUNT: String(RETENTION_COUNT),
    });
    client = new ApiClient(platform.url, AK, SK);
    redis = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    receiver = await startReceiver();
    expect((await client.upload('media/photo.jpg', await makeJpeg(120, 80), 'image/jpeg')).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(queues.map((opened) => opened.close()));
    redis?.disconnect();
    await receiver?.close();
    await platform?.stop();
  });

  it('releases an Idempotency-Key whose job could not be queued, so a retry with it submits anew and runs', async () => {
    // The queue genuinely refuses adds: BullMQ's add script INCRs the queue's id counter first,
    // and a counter that is no number makes every add fail before anything is written.
    const infoQueue = queue('fop.imageInfo.paid');
    await redis.set(infoQueue.keys.id, 'not-a-number');
    const request = { source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'] };

    const refused = await submit(request, { 'Idempotency-Key': 'order-7' });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/could not be queued/);
    // Nothing was kept: no claim on the key, no job in the listing.
    expect(await redis.exists(`fopflow:idem:${AK}:order-7`)).toBe(0);
    expect((await client.json<{ items: Status[] }>('GET', '/v1/jobs')).body.items).toEqual([]);

    await redis.del(infoQueue.keys.id);
    const retried = await submit(request, { 'Idempotency-Key': 'order-7' });
    expect(retried.status).toBe(202);
    expect((await ended(retried.body.id)).code).toBe(0);
    // From now on the key names the job that ran.
    const repeated = await submit(request, { 'Idempotency-Key': 'order-7' });
    expect(repeated.body.id).toBe(retried.body.id);
  });

  it('takes over a claim left pending by a gateway that died between claiming and queueing, once past the grace', async () => {
    const request = { source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'] };
    // What a gateway killed after claiming the key, before recording and queueing, leaves: a
    // pending claim naming a job that has no record. Two minutes on, it is past the grace.
    await redis.set(`fopflow:idem:${AK}:order-8`, 'pending:z0.ghost', 'EX', 24 * 3600 - 120);
    const retried = await submit(request, { 'Idempotency-Key': 'order-8' });
    expect(retried.status).toBe(202);
    expect(retried.body.id).not.toBe('z0.ghost');
    expect((await ended(retried.body.id)).code).toBe(0);
    expect((await submit(request, { 'Idempotency-Key': 'order-8' })).body.id).toBe(retried.body.id);

    // Within the grace the claim may belong to a submission still under way: it is answered as is.
    await redis.set(`fopflow:idem:${AK}:order-9`, 'pending:z0.in-flight', 'EX', 24 * 3600);
    expect((await submit(request, { 'Idempotency-Key': 'order-9' })).body.id).toBe('z0.in-flight');
  });

  it('bounds every added job by count as well as age: async fops, sync fops and webhooks', async () => {
    const bounded = { age: RETENTION_S, count: RETENTION_COUNT };
    const { body } = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageView2/2/w/40'], notifyUrl: receiver.url });
    expect((await ended(body.id)).code).toBe(0);
    const asyncJob = await queue('fop.imageView2.paid').getJob(`${body.id}-0`);
    expect(asyncJob?.opts).toMatchObject({ removeOnComplete: bounded, removeOnFail: bounded });

    expect((await fetch(`${platform.url}/media/photo.jpg?imageMogr2/rotate/90`)).status).toBe(200);
    const [syncJob] = await queue('fop.imageMogr2.paid').getCompleted();
    expect(syncJob.opts).toMatchObject({ removeOnComplete: bounded, removeOnFail: bounded });

    await receiver.waitFor(1);
    const notifyJob = await queue('notify').getJob(body.id);
    const notifyBound = { age: STATUS_RETENTION_S, count: RETENTION_COUNT };
    expect(notifyJob?.opts).toMatchObject({ removeOnComplete: notifyBound, removeOnFail: notifyBound });
  });

  it('runs its Redis with a memory bound and noeviction', async () => {
    expect(Number(((await redis.config('GET', 'maxmemory')) as string[])[1])).toBeGreaterThan(0);
    expect(((await redis.config('GET', 'maxmemory-policy')) as string[])[1]).toBe('noeviction');
  });
});
