import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import IORedis, { Redis } from 'ioredis';
import { ApiClient } from '../support/api-client';
import { makeClip } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';

const AK = 'flows-ak-01';
const SK = 'flows-sk-01-secret';
const imageCommands = 'imageView2,imageMogr2,imageInfo,watermark,exif,imageAve';
const avCommands = 'avthumb,vframe,avinfo,avconcat';

interface Status {
  code: number;
  items: Array<{ code: number; error?: string }>;
  notify?: { state: string };
}

/**
 * An async job with a webhook is one BullMQ flow: its webhook job is the parent of one job per
 * fop, and a fop crossing pools is a chain of segments; a job without a webhook is its items alone. These suites break when that shape does.
 */
describe('async jobs as flows', () => {
  let platform: Platform;
  let client: ApiClient;
  let redis: Redis;
  let hooks: Receiver;
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    if (!queues.has(name)) queues.set(name, new Queue(name, { connection: redis }));
    return queues.get(name)!;
  };

  const submit = async (fops: string[], key = 'clip.mp4') => {
    const answer = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key }, fops, notifyUrl: hooks.url });
    expect(answer.status).toBe(202);
    return answer.body.id;
  };
  const status = async (id: string) => (await client.json<Status>('GET', `/v1/jobs/${id}`)).body;
  /** The job's status once its webhook is delivered. */
  const notified = async (id: string) => {
    let last: Status | undefined;
    await waitFor(`the webhook of ${id}`, async () => (last = await status(id)).notify?.state === 'delivered', 60_000);
    return last!;
  };
  const hooksOf = (id: string) => hooks.received.filter((hook) => JSON.parse(hook.body).id === id);

  beforeAll(async () => {
    // Only the image pool runs at first: the audio/video items of a job wait.
    platform = await startPlatform(
      { FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_ALLOWED_TARGETS: '127.0.0.1', FOPFLOW_JOB_LOCK_MS: '2000' },
      [{ FOPFLOW_WORKER_COMMANDS: imageCommands }],
    );
    client = new ApiClient(platform.url, AK, SK);
    redis = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    hooks = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'fopflow-flows-'));
    await makeClip(join(dir, 'clip.mp4'), { seconds: 2 });
    await makeClip(join(dir, 'long.mp4'), { seconds: 20 });
    expect((await client.upload('media/clip.mp4', readFileSync(join(dir, 'clip.mp4')), 'video/mp4')).status).toBe(200);
    expect((await client.upload('media/long.mp4', readFileSync(join(dir, 'long.mp4')), 'video/mp4')).status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...queues.values()].map((opened) => opened.close()));
    redis?.disconnect();
    await hooks?.close();
    await platform?.stop();
  });

  it('cancels a job whose items wait in two pools by walking its flow, and sends its webhook once', async () => {
    const id = await submit(['imageInfo', 'avinfo', 'vframe/png/offset/1|imageMogr2/thumbnail/64x']);
    // The image item ends (an mp4 is no image); the others wait for an audio/video worker.
    await waitFor(`item 0 of ${id} to end`, async () => (await status(id)).items[0].code === 3);
    expect(await queue('fop.avinfo.paid').getJobState(`${id}-1`)).toBe('waiting');
    expect(await queue('fop.vframe.paid').getJobState(`${id}-2.0`)).toBe('waiting');
    expect(await queue('fop.imageMogr2.paid').getJobState(`${id}-2`)).toBe('waiting-children');

    const cancelled = await client.json<Status>('DELETE', `/v1/jobs/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.items.slice(1)).toEqual([
      expect.objectContaining({ code: 3, error: 'cancelled by request' }),
      expect.objectContaining({ code: 3, error: 'cancelled by request' }),
    ]);
    for (const [name, jobId] of [['fop.avinfo.paid', `${id}-1`], ['fop.vframe.paid', `${id}-2.0`], ['fop.imageMogr2.paid', `${id}-2`]]) {
      expect(await queue(name).getJob(jobId)).toBeUndefined();
    }
    // With no item left, the flow's parent ran: one webhook, saying failed.
    const final = await notified(id);
    expect(final.code).toBe(3);
    expect(hooksOf(id)).toHaveLength(1);
  });

  it('adds a job without a webhook as its items alone, and cancel still reaches each of them', async () => {
    const answer = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key: 'clip.mp4' }, fops: ['avinfo', 'vframe/png/offset/1|imageMogr2/thumbnail/64x'] });
    expect(answer.status).toBe(202);
    const id = answer.body.id;
    // Nothing waits for the items: no notify job, no parent.
    expect(await queue('notify').getJob(id)).toBeUndefined();
    const single = (await queue('fop.avinfo.paid').getJob(`${id}-0`)) as Job;
    const chainEnd = (await queue('fop.imageMogr2.paid').getJob(`${id}-1`)) as Job;
    expect(await single.getState()).toBe('waiting');
    expect(await chainEnd.getState()).toBe('waiting-children');
    expect(single.parentKey).toBeUndefined();
    expect(chainEnd.parentKey).toBeUndefined();
    expect(((await queue('fop.vframe.paid').getJob(`${id}-1.0`)) as Job).parentKey).toBe(`bull:fop.imageMogr2.paid:${id}-1`);

    const cancelled = await client.json<Status>('DELETE', `/v1/jobs/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.code).toBe(3);
    expect(cancelled.body.items).toEqual([
      expect.objectContaining({ code: 3, error: 'cancelled by request' }),
      expect.objectContaining({ code: 3, error: 'cancelled by request' }),
    ]);
    for (const [name, jobId] of [['fop.avinfo.paid', `${id}-0`], ['fop.vframe.paid', `${id}-1.0`], ['fop.imageMogr2.paid', `${id}-1`]]) {
      expect(await queue(name).getJob(jobId)).toBeUndefined();
    }
  });

  it('runs a pipeline crossing two pools as one flow: each pool its segment, no job handed on', async () => {
    await platform.startWorker({ FOPFLOW_WORKER_COMMANDS: avCommands });
    const id = await submit(['vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo']);
    const final = await notified(id);
    expect(final.code).toBe(0);

    const first = (await queue('fop.vframe.paid').getJob(`${id}-0.0`)) as Job;
    const last = (await queue('fop.imageMogr2.paid').getJob(`${id}-0`)) as Job;
    expect(await first.getState()).toBe('completed');
    expect(await last.getState()).toBe('completed');
    expect(first.returnvalue.continuedIn).toBeUndefined();
    expect(last.returnvalue.continuedIn).toBeUndefined();
    expect(last.returnvalue.saved).toMatchObject({ bucket: 'media', key: `fop/${id}/0` });
    // The last segment's child is the first; the webhook job is the last segment's parent.
    expect(first.parentKey).toBe(`bull:fop.imageMogr2.paid:${id}-0`);
    expect(last.parentKey).toBe(`bull:notify:${id}`);
    const saved = await fetch(`${platform.url}/media/fop/${id}/0`);
    expect(await saved.json()).toMatchObject({ format: 'png', width: 64, height: 36 });
    expect(hooksOf(id)).toHaveLength(1);
  });

  it('sends the webhook once when the flow ends with a failed item, after every item has ended', async () => {
    const id = await submit(['avinfo', 'imageView2/2/w/10', 'vframe/png/offset/99|imageInfo']);
    const final = await notified(id);
    expect(final.items.map((item) => item.code)).toEqual([0, 3, 3]);
    const [hook] = hooksOf(id);
    expect(JSON.parse(hook.body).items.map((item: { code: number }) => item.code)).toEqual([0, 3, 3]);
    expect(hooksOf(id)).toHaveLength(1);
  });

  it('ends with one webhook when the worker running an item is killed: the item runs again elsewhere', async () => {
    const av = platform.workers[1];
    const id = await submit(['avthumb/mp4/s/640x360', 'imageInfo'], 'long.mp4');
    await waitFor(`item 0 of ${id} to run`, async () => (await status(id)).items[0].code === 2);
    await av.stop('SIGKILL');
    await platform.startWorker({ FOPFLOW_WORKER_COMMANDS: avCommands });
    const final = await notified(id);
    expect(final.items.map((item) => item.code)).toEqual([0, 3]);
    expect(hooksOf(id)).toHaveLength(1);
  }, 90_000);
});
