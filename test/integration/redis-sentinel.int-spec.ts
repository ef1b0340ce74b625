import { Queue, QueueEvents, Worker } from 'bullmq';
import { createRedis, isRedisReady, queueOptions, type RedisClient } from '@fopflow/queue';
import { waitFor } from '../support/ports';
import { startRedisSentinel, TestRedisSentinel } from '../support/redis-sentinel';

/** REDIS_URL naming a sentinel: clients find the master through it, and the new one after a failover. */
describe('Fopflow behind Redis Sentinel', () => {
  let sentinel: TestRedisSentinel;
  const clients: RedisClient[] = [];
  const connect = (name: string) => {
    const client = createRedis(sentinel.url, 'worker', name);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  }, 60_000);

  afterAll(async () => {
    clients.forEach((client) => client.disconnect());
    await sentinel?.stop();
  });

  it('runs queued jobs on the master, and on the promoted replica once the master dies', async () => {
    const redis = connect('sentinel-spec');
    const queue = new Queue('fop.imageInfo.paid', queueOptions(redis));
    const events = new QueueEvents('fop.imageInfo.paid', queueOptions(connect('sentinel-spec-events')));
    const worker = new Worker('fop.imageInfo.paid', async (job) => `done ${job.data.n}`, queueOptions(connect('sentinel-spec-worker')));
    await events.waitUntilReady();

    const first = await queue.add('fop', { n: 1 });
    expect(await first.waitUntilFinished(events, 10_000)).toBe('done 1');
    expect(await redis.call('ROLE').then((role) => (role as string[])[0])).toBe('master');
    await redis.set('fopflow:sentinel-spec', 'kept');
    await redis.call('WAIT', '1', '2000');

    await sentinel.failOver();
    await waitFor('the client on the new master', async () => (await isRedisReady(redis)) && (await redis.call('ROLE').then((role) => (role as string[])[0])) === 'master', 30_000);
    expect(await redis.get('fopflow:sentinel-spec')).toBe('kept');
    const second = await queue.add('fop', { n: 2 });
    await waitFor('the job after the failover', async () => (await second.getState()) === 'completed', 30_000);
    expect((await queue.getJob(second.id!))?.returnvalue).toBe('done 2');
    await Promise.all([worker.close(), events.close(), queue.close()]);
  }, 90_000);
});
