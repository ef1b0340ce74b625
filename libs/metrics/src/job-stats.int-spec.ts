import { createRedis, type RedisClient } from '@fopflow/queue';
import { Registry } from 'prom-client';
import { startRedis, TestRedis } from '../../../test/support/redis-server';
import { JobStatsRecorder, registerJobStats } from './job-stats';

/** `fopflow_job_duration_seconds_bucket` of one series, by `le`. */
async function buckets(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'fopflow_job_duration_seconds')!;
  const values = (metric as unknown as { values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }> }).values;
  return Object.fromEntries(values.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => [String(v.labels.le), v.value]));
}

describe('job stats in Redis', () => {
  let server: TestRedis;
  let redis: RedisClient;

  beforeAll(async () => {
    server = await startRedis();
    redis = createRedis(server.url, 'producer', 'job-stats-spec');
    await new Promise((resolve) => redis.once('ready', resolve));
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('writes one bucket per job and shows cumulative buckets, counting figures of the older cumulative layout too', async () => {
    const recorder = new JobStatsRecorder(redis);
    await recorder.record('imageInfo', 'paid', 'completed', 0.02);
    await recorder.record('imageInfo', 'paid', 'completed', 0.3);
    await recorder.record('imageInfo', 'paid', 'completed', 1000);
    expect(Object.keys(await redis.hgetall('fopflow:stats:job-seconds')).sort()).toEqual([
      'imageInfo|paid|completed|in:0.025',
      'imageInfo|paid|completed|in:0.5',
      'imageInfo|paid|completed|sum',
    ]);
    // A job recorded by a worker of the older layout: every bucket from its own up.
    await redis.hincrby('fopflow:stats:jobs', 'imageInfo|paid|completed', 1);
    for (const bound of [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]) await redis.hincrby('fopflow:stats:job-seconds', `imageInfo|paid|completed|${bound}`, 1);
    const registry = new Registry();
    registerJobStats(registry, redis);
    expect(await buckets(registry)).toEqual({
      '0.01': 0, '0.025': 1, '0.05': 2, '0.1': 2, '0.25': 2, '0.5': 3, '1': 3, '2.5': 3, '5': 3, '10': 3, '30': 3, '60': 3, '300': 3, '+Inf': 4,
    });
  });
});
