import IORedis, { Redis } from 'ioredis';
import { Job, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { FopJobData, JobDispatcher, jobCatalogue, jobNameOfQueue, jobNames, QueueSet } from '@fopflow/queue';
import { startRedis, TestRedis } from '../support/redis-server';

const settings = { jobRetentionS: 600, jobRetentionCount: 50, statusRetentionS: 3600, webhookAttempts: 4 };

const fop = (pipeline: string, tier = 'paid'): FopJobData => ({
  source: { bucket: 'b', key: 'k', etag: 'e', size: 1 },
  pipeline,
  tier,
  resultKey: `r-${pipeline}`,
  requestedAt: 0,
});

describe('JobDispatcher on real Redis', () => {
  const opened: QueueEvents[] = [];
  const events = async (name: string) => {
    const queueEvents = new QueueEvents(name, { connection: { url: server.url } });
    opened.push(queueEvents);
    await queueEvents.waitUntilReady();
    return queueEvents;
  };
  let server: TestRedis;
  let redis: Redis;
  let queues: QueueSet;
  let dispatcher: JobDispatcher;

  beforeAll(async () => {
    server = await startRedis();
    redis = new IORedis(server.url, { maxRetriesPerRequest: null });
    queues = new QueueSet(redis);
    dispatcher = new JobDispatcher((name) => queues.get(name), settings);
  });

  afterAll(async () => {
    await Promise.all(opened.map((queueEvents) => queueEvents.close()));
    await queues?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('adds a fop job to its command and tier queue, named by its pipeline, with the catalogue options', async () => {
    const job = await dispatcher.dispatch('fop', { data: fop('imageView2/2/w/10|imageInfo'), jobId: 'one' });
    expect(job.queueName).toBe('fop.imageView2.paid');
    const stored = await queues.get('fop.imageView2.paid').getJob('one');
    expect(stored?.name).toBe('imageView2/2/w/10|imageInfo');
    expect(stored?.opts).toMatchObject({
      attempts: 2,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 600, count: 50 },
      removeOnFail: { age: 600, count: 50 },
    });
  });

  it('adds a repeated id once', async () => {
    await dispatcher.dispatch('fop', { data: fop('imageInfo'), jobId: 'twice' });
    await dispatcher.dispatch('fop', { data: fop('imageInfo'), jobId: 'twice' });
    expect(await queues.get('fop.imageInfo.paid').getJobCountByTypes('waiting')).toBe(1);
  });

  it('sends a bulk to each of its queues', async () => {
    const jobs = await dispatcher.dispatchBulk('fop', [
      { data: fop('exif', 'free'), jobId: 'b1' },
      { data: fop('avinfo', 'free'), jobId: 'b2' },
      { data: fop('exif', 'free'), jobId: 'b3' },
    ]);
    expect(jobs.map((job) => job.queueName).sort()).toEqual(['fop.avinfo.free', 'fop.exif.free', 'fop.exif.free']);
    expect(await queues.get('fop.exif.free').getJobCountByTypes('waiting')).toBe(2);
  });

  it('queues webhooks and builds on their own queues with their own retention', async () => {
    const notify = await dispatcher.dispatch('notify', { data: { persistentId: 'z0.1' }, jobId: 'z0.1' });
    expect(notify.queueName).toBe('notify');
    expect(notify.opts).toMatchObject({ attempts: 4, backoff: { type: 'webhook' }, removeOnComplete: { age: 3600, count: 50 } });
    const build = await dispatcher.dispatch('ufopBuild', { data: { name: 'shout', version: '1', owner: 'k', tarball: { bucket: 'fopflow-ufop-uploads', key: 't' } }, jobId: 'shout.1' });
    expect(build.queueName).toBe('ufop.build');
    expect(build.name).toBe('shout:1');
  });

  describe('async jobs as flows', () => {
    const pools: Record<string, string> = { vframe: 'av', imageMogr2: 'image', imageInfo: 'image' };
    let flows: JobDispatcher;

    beforeAll(() => {
      flows = new JobDispatcher((name) => queues.get(name), settings, (command) => pools[command] ?? command);
    });

    afterAll(() => flows.onApplicationShutdown());

    const item = (id: string, index: number, pipeline: string) => ({
      data: { ...fop(pipeline, 'flow'), persistent: { id, index, force: false } },
      jobId: `${id}-${index}`,
    });

    it('makes the webhook job the parent of every item, and a pipeline crossing pools a chain of segments', async () => {
      await flows.dispatchAsyncJobs([{ notify: { data: { persistentId: 'z0.f1' }, jobId: 'z0.f1' }, items: [item('z0.f1', 0, 'imageInfo'), item('z0.f1', 1, 'vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo')] }]);
      const parent = (await queues.get('notify').getJob('z0.f1'))!;
      expect(await parent.getState()).toBe('waiting-children');
      expect(parent.opts).toMatchObject({ attempts: 4, backoff: { type: 'webhook' } });
      const { unprocessed } = await parent.getDependencies();
      expect(unprocessed?.sort()).toEqual(['bull:fop.imageInfo.flow:z0.f1-0', 'bull:fop.imageMogr2.flow:z0.f1-1']);

      const last = (await queues.get('fop.imageMogr2.flow').getJob('z0.f1-1')) as Job<FopJobData>;
      expect(await last.getState()).toBe('waiting-children');
      expect(last.opts).toMatchObject({ ignoreDependencyOnFailure: true, attempts: 2 });
      expect(last.data).toMatchObject({ pipeline: 'imageMogr2/thumbnail/64x|imageInfo', resultKey: 'r-vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo' });
      expect((await last.getDependencies()).unprocessed).toEqual(['bull:fop.vframe.flow:z0.f1-1.0']);
      const first = (await queues.get('fop.vframe.flow').getJob('z0.f1-1.0')) as Job<FopJobData>;
      expect(await first.getState()).toBe('waiting');
      expect(first.opts).toMatchObject({ failParentOnFailure: true });
      expect(first.data).toMatchObject({ pipeline: 'vframe/png/offset/1', feedsNext: true });
      expect(last.data.intermediate).toEqual({ resultKey: first.data.resultKey });
    });

    it('adds a sync pipeline crossing pools as a chain once, answering its root to wait on', async () => {
      const data = fop('vframe/png/offset/1|imageMogr2/thumbnail/64x', 'sync');
      expect(flows.pipelineQueue(data)).toBe('fop.imageMogr2.sync');
      const root = await flows.dispatchPipeline({ data, jobId: 'chain' });
      expect(root.queueName).toBe('fop.imageMogr2.sync');
      expect(await root.getState()).toBe('waiting-children');
      expect((await root.getDependencies()).unprocessed).toEqual(['bull:fop.vframe.sync:chain.0']);
      const again = await flows.dispatchPipeline({ data, jobId: 'chain' });
      expect(again.id).toBe('chain');
      expect(await queues.get('fop.vframe.sync').getJobCountByTypes('waiting')).toBe(1);
      // A pipeline of one pool stays one plain job.
      const plain = await flows.dispatchPipeline({ data: fop('imageInfo', 'sync'), jobId: 'plain' });
      expect(plain.queueName).toBe('fop.imageInfo.sync');
      expect(plain.parentKey).toBeUndefined();
    });

    it('adds a flow whole or not at all when a queue refuses one of its jobs', async () => {
      // A counter that is no number makes every add to that queue fail inside BullMQ's script.
      await redis.set(queues.get('fop.imageMogr2.refuse').keys.id, 'not-a-number');
      const refused = item('z0.f3', 1, 'vframe/png/offset/1|imageMogr2/thumbnail/64x');
      const flow = { notify: { data: { persistentId: 'z0.f3' }, jobId: 'z0.f3' }, items: [item('z0.f3', 0, 'imageInfo'), { ...refused, data: { ...refused.data, tier: 'refuse' } }] };
      await expect(flows.dispatchAsyncJobs([flow])).rejects.toThrow(/refused fop\.imageMogr2\.refuse:z0\.f3-1/);
      expect(await queues.get('notify').getJob('z0.f3')).toBeUndefined();
      expect(await queues.get('fop.imageInfo.flow').getJob('z0.f3-0')).toBeUndefined();
      expect(await queues.get('fop.vframe.refuse').getJob('z0.f3-1.0')).toBeUndefined();
    });

    it('runs the parent once when every item has ended, a failed item and a failed segment included', async () => {
      const ran: string[] = [];
      const fail = async (job: Job<FopJobData>) => {
        ran.push(job.id!);
        if (job.data.pipeline.startsWith('vframe') || job.data.pipeline === 'imageMogr2/x') throw new UnrecoverableError('[415] no');
        return { ok: true };
      };
      const consumers = ['fop.imageInfo.run', 'fop.vframe.run', 'fop.imageMogr2.run'].map((name) => new Worker(name, fail, { connection: redis }));
      const notified: string[] = [];
      const parents = new Worker('notify', async (job) => void notified.push(job.id!), { connection: redis });
      try {
        await flows.dispatchAsyncJobs([
          {
            notify: { data: { persistentId: 'z0.f2' }, jobId: 'z0.f2' },
            items: [
              { ...item('z0.f2', 0, 'imageInfo'), data: { ...item('z0.f2', 0, 'imageInfo').data, tier: 'run' } },
              { ...item('z0.f2', 1, 'imageMogr2/x'), data: { ...item('z0.f2', 1, 'imageMogr2/x').data, tier: 'run' } },
              { ...item('z0.f2', 2, 'vframe/png|imageInfo'), data: { ...item('z0.f2', 2, 'vframe/png|imageInfo').data, tier: 'run' } },
            ],
          },
        ]);
        const parent = (await queues.get('notify').getJob('z0.f2'))!;
        await parent.waitUntilFinished(await events('notify'), 20_000);
        expect(notified.filter((id) => id === 'z0.f2')).toHaveLength(1);
        // The segment after a failed one never runs its processor: it fails with its child.
        expect(ran.sort()).toEqual(['z0.f2-0', 'z0.f2-1', 'z0.f2-2.0']);
        expect(await queues.get('fop.imageInfo.run').getJobState('z0.f2-2')).toBe('failed');
        expect(Object.keys(await parent.getFailedChildrenValues()).sort()).toEqual(['bull:fop.imageInfo.run:z0.f2-2', 'bull:fop.imageMogr2.run:z0.f2-1']);
      } finally {
        await Promise.all([...consumers, parents].map((worker) => worker.close()));
      }
    });
  });

  it('maps every queue back to its kind of job', () => {
    expect(jobNames()).toEqual(Object.keys(jobCatalogue));
    expect(jobNameOfQueue('fop.imageView2.paid')).toBe('fop');
    expect(jobNameOfQueue('notify')).toBe('notify');
    expect(jobNameOfQueue('ufop.build')).toBe('ufopBuild');
    expect(jobNameOfQueue('other')).toBeUndefined();
  });
});
