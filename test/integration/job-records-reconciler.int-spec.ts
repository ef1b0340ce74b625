import { jobMeta } from '../support/job-meta';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFailure } from '@fopflow/errors';
import { JobCode, PersistentJobMeta, PersistentJobStore } from '@fopflow/jobs';
import { fopQueueName, JobDispatcher, NOTIFY_QUEUE } from '@fopflow/queue';
import { LocalDiskStorage } from '@fopflow/storage';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import IORedis, { Redis } from 'ioredis';
import { JobRecordsReconciler } from '../../apps/scaler/src/job-records.reconciler';
import { waitFor } from '../support/ports';
import { startRedis, TestRedis } from '../support/redis-server';

const RETENTION_S = 600;
const SCHEDULE_S = [0, 1, 2];
const QUEUE = fopQueueName('imageView2', 'paid');
const HOOK = 'http://127.0.0.1:9/hook';
const encodedEntry = (bucket: string, key: string) => Buffer.from(`${bucket}:${key}`).toString('base64url');

let sequence = 0;
const meta = (fops: string[], extra: Partial<PersistentJobMeta> = {}): PersistentJobMeta =>
  jobMeta(`z0.reconcile-${++sequence}`, fops, { notifyUrl: HOOK, ...extra });

describe('JobRecordsReconciler repairs what a crash left, on real Redis and BullMQ', () => {
  let server: TestRedis;
  let redis: Redis;
  let store: PersistentJobStore;
  let storage: LocalDiskStorage;
  let dataDir: string;
  let fops: Queue;
  let notify: Queue;
  const reconciler = (graceMs = 0) =>
    new JobRecordsReconciler(redis, store, storage, { graceMs, webhookRetryScheduleS: SCHEDULE_S, retentionS: RETENTION_S, retentionCount: 100 });

  /** Runs `job` through a throwaway worker that answers `outcome`, with nobody writing the record: as if the tracker died. */
  const runUntracked = async (jobId: string, outcome: () => unknown, queue = QUEUE) => {
    const connection = redis.duplicate();
    const worker = new Worker(queue, async () => outcome(), { connection, autorun: false });
    const ended = new Promise<void>((resolve) => {
      worker.on('completed', (job: Job) => job.id === jobId && resolve());
      worker.on('failed', (job?: Job) => job?.id === jobId && resolve());
    });
    void worker.run();
    await ended;
    await worker.close();
    connection.disconnect();
  };

  beforeAll(async () => {
    server = await startRedis();
    redis = new IORedis(server.url, { maxRetriesPerRequest: null });
    store = new PersistentJobStore(redis, RETENTION_S);
    dataDir = mkdtempSync(join(tmpdir(), 'fopflow-reconcile-'));
    storage = new LocalDiskStorage(dataDir);
    fops = new Queue(QUEUE, { connection: redis });
    notify = new Queue(NOTIFY_QUEUE, { connection: redis });
  });

  // Each case starts from an empty Redis: earlier records would be repaired again in its passes.
  afterEach(async () => {
    await redis.flushall();
  });

  afterAll(async () => {
    await fops.close();
    await notify.close();
    await redis.quit();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes the outcome of an ended job into an item left "processing", then queues its webhook once', async () => {
    const job = meta(['imageView2/2/w/40', 'imageView2/2/w/50']);
    await store.create(job, job.fops);
    await fops.add('x', { pipeline: 'imageView2/2/w/40' }, { jobId: `${job.id}-0` });
    await store.patchItem({ id: job.id, index: 0 }, { code: JobCode.Processing });
    await runUntracked(`${job.id}-0`, () => ({ resultKey: 'r', mime: 'image/jpeg', size: 1, durationMs: 1, saved: { bucket: 'media', key: 'out.jpg', etag: 'Fetag' } }));
    await fops.add('x', { pipeline: 'imageView2/2/w/50' }, { jobId: `${job.id}-1` });
    await runUntracked(`${job.id}-1`, () => {
      throw new UnrecoverableError(encodeFailure(415, 'step 1/1 imageView2: not an image'));
    });

    const report = await reconciler().pass();
    expect(report).toMatchObject({ itemsFromJob: 2, itemsLost: 0, webhooksQueued: 1 });
    const status = await store.status(job.id);
    expect(status?.items[0]).toMatchObject({ code: JobCode.Done, key: 'out.jpg', hash: 'Fetag', returnOld: 0 });
    expect(status?.items[1]).toMatchObject({ code: JobCode.Failed, errorIndex: 0 });
    expect(status?.items[1].error).toContain('not an image');
    expect(status?.notify?.state).toBe('pending');
    expect(await notify.getJobState(job.id)).toBe('waiting');

    // Again, and from two reconcilers at once: the waiting webhook is left alone, nothing is added.
    const again = await Promise.all([reconciler().pass(), reconciler().pass()]);
    expect(again.map((r) => r.webhooksQueued + r.itemsFromJob)).toEqual([0, 0]);
    expect((await notify.getJobs(['waiting'])).filter((queued) => queued.id === job.id)).toHaveLength(1);
  });

  it('marks an item whose job is gone and whose result is not stored failed, naming the loss', async () => {
    // The second item's mark is on another site, a URL of no /<bucket>/<key> shape: it reads as an outside mark.
    const outsideMark = `watermark/1/image/${Buffer.from('https://cdn.other.net/logo.png').toString('base64url')}`;
    const job = meta(['imageView2/2/w/60', outsideMark], { notifyUrl: undefined });
    await store.create(job, job.fops);
    expect(await reconciler().pass()).toMatchObject({ itemsLost: 2, webhooksQueued: 0 });
    const status = await store.status(job.id);
    expect(status).toMatchObject({ code: JobCode.Failed });
    expect(status?.items[0].error).toMatch(/^lost: no queued job holds this fop/);
    expect(status?.items[1].error).toMatch(/^lost: no queued job holds this fop/);
  });

  it('does not re-run an item whose saveas target already holds a result: done, returnOld as Qiniu has it', async () => {
    await storage.put('media', 'kept.jpg', Buffer.from('old result'), { maxBytes: 1024, mime: 'image/jpeg' });
    const old = meta([`imageView2/2/w/70|saveas/${encodedEntry('media', 'kept.jpg')}`], { createdAt: Date.now() + 1000 });
    const fresh = meta([`imageView2/2/w/70|saveas/${encodedEntry('media', 'made.jpg')}`], { createdAt: Date.now() - 1000, force: true });
    await storage.put('media', 'made.jpg', Buffer.from('this job made it'), { maxBytes: 1024, mime: 'image/jpeg' });
    for (const job of [old, fresh]) await store.create(job, job.fops);

    expect(await reconciler().pass()).toMatchObject({ itemsFromStoredResult: 2, itemsLost: 0 });
    expect((await store.status(old.id))?.items[0]).toMatchObject({ code: JobCode.Done, key: 'kept.jpg', returnOld: 1 });
    expect((await store.status(fresh.id))?.items[0]).toMatchObject({ code: JobCode.Done, key: 'made.jpg', returnOld: 0 });
  });

  it('leaves an item alone while its job waits, and waits out the grace before repairing', async () => {
    const live = meta(['imageView2/2/w/80'], { notifyUrl: undefined });
    const lost = meta(['imageView2/2/w/90'], { notifyUrl: undefined });
    for (const job of [live, lost]) await store.create(job, job.fops);
    await fops.add('x', { pipeline: 'imageView2/2/w/80' }, { jobId: `${live.id}-0` });

    const patient = reconciler(60_000);
    const now = Date.now();
    expect(await patient.pass(now)).toMatchObject({ itemsLost: 0 });
    expect((await store.status(lost.id))?.code).toBe(JobCode.Waiting);
    expect(await patient.pass(now + 60_000)).toMatchObject({ itemsLost: 1 });
    expect((await store.status(live.id))?.code).toBe(JobCode.Waiting);
  });

  it("re-queues a finished job's lost webhook once, and records the outcome of one that ended unrecorded", async () => {
    const lostHook = meta(['imageView2/2/w/100']);
    const sentHook = meta(['imageView2/2/w/110']);
    for (const job of [lostHook, sentHook]) {
      await store.create(job, job.fops);
      await store.finishItem({ id: job.id, index: 0 }, { cmd: job.fops[0], code: JobCode.Done, desc: 'done' });
      await store.recordNotify(job.id, HOOK, 'pending');
    }
    // sentHook's webhook was delivered, but Redis lost the "delivered" write.
    await notify.add('notify', { persistentId: sentHook.id }, { jobId: sentHook.id });
    await runUntracked(sentHook.id, () => ({ outcome: 'delivered' }), NOTIFY_QUEUE);

    const [first, second] = await Promise.all([reconciler().pass(), reconciler().pass()]);
    expect(first.webhooksQueued + second.webhooksQueued).toBeGreaterThanOrEqual(1);
    expect(await notify.getJobState(lostHook.id)).toBe('waiting');
    expect(await notify.getWaitingCount()).toBe(1);
    expect((await store.status(sentHook.id))?.notify?.state).toBe('delivered');
    expect(await notify.getJobState(sentHook.id)).toBe('completed');
  });

  it('replaces the webhook job of a flow whose item job Redis lost, so the webhook still goes once', async () => {
    const job = meta(['imageView2/2/w/120']);
    await store.create(job, job.fops);
    const dispatcher = new JobDispatcher((name) => (name === NOTIFY_QUEUE ? notify : fops), { jobRetentionS: 60, jobRetentionCount: 10, statusRetentionS: 60, webhookAttempts: 3 });
    const data = { source: { bucket: 'media', key: 'a.jpg', etag: 'e', size: 1 }, pipeline: job.fops[0], tier: 'paid', resultKey: 'r', requestedAt: 0, persistent: { id: job.id, index: 0, force: false } };
    await dispatcher.dispatchAsyncJobs([{ notify: { data: { persistentId: job.id }, jobId: job.id }, items: [{ data, jobId: `${job.id}-0` }] }]);
    await dispatcher.onApplicationShutdown();
    // Redis lost the item's job: its key and its place in the wait list; the parent still waits for it.
    await redis.multi().del(fops.toKey(`${job.id}-0`)).lrem(fops.keys.wait, 0, `${job.id}-0`).exec();
    expect(await notify.getJobState(job.id)).toBe('waiting-children');

    const report = await reconciler().pass();
    expect(report).toMatchObject({ itemsLost: 1, webhooksQueued: 1 });
    expect(await notify.getJobState(job.id)).toBe('waiting');
    expect((await reconciler().pass()).webhooksQueued).toBe(0);
  });

  it('walks only open jobs: a finished one leaves the index in the write that finishes it, an expired one on the next pass', async () => {
    const quiet = meta(['imageView2/2/w/130'], { notifyUrl: undefined });
    const hooked = meta(['imageView2/2/w/140']);
    const expired = meta(['imageView2/2/w/150']);
    for (const job of [quiet, hooked, expired]) await store.create(job, job.fops);
    expect((await store.openJobs(0, 10)).map((entry) => entry.id).sort()).toEqual([quiet.id, hooked.id, expired.id].sort());

    // Without a webhook the last item's end closes the job; with one, the webhook's end does.
    await store.finishItem({ id: quiet.id, index: 0 }, { cmd: quiet.fops[0], code: JobCode.Done, desc: 'done' });
    await store.finishItem({ id: hooked.id, index: 0 }, { cmd: hooked.fops[0], code: JobCode.Done, desc: 'done' });
    expect((await store.openJobs(0, 10)).map((entry) => entry.id).sort()).toEqual([hooked.id, expired.id].sort());
    await store.recordNotify(hooked.id, HOOK, 'delivered');
    await redis.del(`fopflow:pjob:${expired.id}`);

    const report = await reconciler().pass();
    expect(report.records).toBe(1);
    expect(await store.openJobs(0, 10)).toEqual([]);
  });

  it('indexes, on its first pass, unfinished records written before the open index existed', async () => {
    const older = meta(['imageView2/2/w/160']);
    const finished = meta(['imageView2/2/w/170'], { notifyUrl: undefined });
    for (const job of [older, finished]) await store.create(job, job.fops);
    await store.finishItem({ id: finished.id, index: 0 }, { cmd: finished.fops[0], code: JobCode.Done, desc: 'done' });
    await redis.del('fopflow:open-jobs');

    expect((await reconciler(60_000).pass()).records).toBe(1);
    expect((await store.openJobs(0, 10)).map((entry) => entry.id)).toEqual([older.id]);
  });

  it('gives the job of a worker killed with -9 to another worker once its lock expires', async () => {
    const queueName = fopQueueName('imageMogr2', 'paid');
    const queue = new Queue(queueName, { connection: redis });
    await queue.add('x', {}, { jobId: 'stalled-1', attempts: 2 });
    // A worker in its own process takes the job and hangs in it, as one would mid-ffmpeg.
    const script = `
      const { Worker } = require('bullmq');
      new Worker(${JSON.stringify(queueName)}, () => { console.log('took'); return new Promise(() => {}); },
        { connection: { host: '127.0.0.1', port: ${server.port}, maxRetriesPerRequest: null }, lockDuration: 1000, stalledInterval: 1000 });`;
    const child = spawn(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    await waitFor('the child worker to take the job', async () => printed.includes('took'));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await queue.getJobState('stalled-1')).toBe('active');

    const connection = redis.duplicate();
    const rescuer = new Worker(queueName, async () => 'done by the second worker', { connection, lockDuration: 1000, stalledInterval: 1000 });
    await waitFor('the stalled job to complete elsewhere', async () => (await queue.getJobState('stalled-1')) === 'completed');
    const job = await queue.getJob('stalled-1');
    expect(job?.returnvalue).toBe('done by the second worker');
    await rescuer.close();
    connection.disconnect();
    await queue.close();
  });
});
