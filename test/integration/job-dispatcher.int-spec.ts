import IORedis, { Redis } from 'ioredis';
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

  it('maps every queue back to its kind of job', () => {
    expect(jobNames()).toEqual(Object.keys(jobCatalogue));
    expect(jobNameOfQueue('fop.imageView2.paid')).toBe('fop');
    expect(jobNameOfQueue('notify')).toBe('notify');
    expect(jobNameOfQueue('ufop.build')).toBe('ufopBuild');
    expect(jobNameOfQueue('other')).toBeUndefined();
  });
});
