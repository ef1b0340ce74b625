import { slotGroup, type RedisClient } from '@fopflow/queue';
import type { Registry } from 'prom-client';

/** How a job ended, as a metric label. */
export type JobOutcomeLabel = 'completed' | 'failed';

/** Upper bounds of the job duration histogram, in seconds. */
export const JOB_DURATION_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The two hashes of job figures; written in one pipeline, so on a cluster they share one hash slot. */
function statsKeys(redis: RedisClient): { counts: string; durations: string } {
  const group = slotGroup(redis, 'fopflow:stats');
  return { counts: `${group}:jobs`, durations: `${group}:job-seconds` };
}

/**
 * Job figures are kept in Redis rather than in one process's memory: every worker adds to the
 * same counters, and any gateway's /metrics shows the figures of the whole platform once.
 */
export class JobStatsRecorder {
  constructor(private readonly redis: RedisClient) {}

  /** Counts one finished job and its processing time. */
  async record(command: string, tier: string, outcome: JobOutcomeLabel, durationS: number): Promise<void> {
    const series = `${command}|${tier}|${outcome}`;
    const keys = statsKeys(this.redis);
    const pipeline = this.redis.pipeline().hincrby(keys.counts, series, 1).hincrbyfloat(keys.durations, `${series}|sum`, durationS);
    // One bucket per job, the smallest that holds it (none past the last: +Inf is the count); the
    // scrape sums them up. Writing every bucket above it cost a cheap job a dozen commands.
    const bound = JOB_DURATION_BUCKETS_S.find((b) => durationS <= b);
    if (bound !== undefined) pipeline.hincrby(keys.durations, `${series}|in:${bound}`, 1);
    await pipeline.exec();
  }
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** Registers `fopflow_jobs_total` and `fopflow_job_duration_seconds`, read from Redis at scrape. */
export function registerJobStats(registry: Registry, redis: RedisClient): void {
  const read = async () => {
    const keys = statsKeys(redis);
    const [counts, durations] = await Promise.all([redis.hgetall(keys.counts), redis.hgetall(keys.durations)]);
    return { counts, durations };
  };
  const labelsOf = (series: string) => {
    const [command, tier, outcome] = series.split('|');
    return { command, tier, outcome };
  };
  registerComputed(registry, 'fopflow_jobs_total', 'counter', 'Fop jobs finished, by command, tier and outcome (all workers).', async () => {
    const { counts } = await read();
    return Object.entries(counts).map(([series, count]) => ({ value: Number(count), labels: labelsOf(series) }));
  });
  registerComputed(
    registry,
    'fopflow_job_duration_seconds',
    'histogram',
    'Processing time of fop jobs inside workers, by command, tier and outcome (all workers).',
    async () => {
      const { counts, durations } = await read();
      const values: MetricValue[] = [];
      const name = 'fopflow_job_duration_seconds';
      for (const [series, count] of Object.entries(counts)) {
        const labels = labelsOf(series);
        let below = 0;
        for (const bound of JOB_DURATION_BUCKETS_S) {
          below += Number(durations[`${series}|in:${bound}`] ?? 0);
          // Fields named by the bound alone are cumulative counts of jobs recorded before one bucket per job.
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: below + Number(durations[`${series}|${bound}`] ?? 0) });
        }
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: Number(count) });
        values.push({ metricName: `${name}_sum`, labels, value: Number(durations[`${series}|sum`] ?? 0) });
        values.push({ metricName: `${name}_count`, labels, value: Number(count) });
      }
      return values;
    },
  );
}

/** A metric whose values are computed at scrape time, in the shape prom-client's registry reads. */
function registerComputed(
  registry: Registry,
  name: string,
  type: 'counter' | 'histogram',
  help: string,
  values: () => Promise<MetricValue[]>,
): void {
  // A scrape while Redis is down still answers, with these series absent rather than a 500.
  const read = () => values().catch((): MetricValue[] => []);
  const metric = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: await read() }) };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** Totals of finished jobs per command, tier and outcome, with the seconds they took (all workers). */
export async function readJobTotals(
  redis: RedisClient,
): Promise<Array<{ command: string; tier: string; outcome: string; count: number; seconds: number }>> {
  const keys = statsKeys(redis);
  const [counts, durations] = await Promise.all([redis.hgetall(keys.counts), redis.hgetall(keys.durations)]);
  return Object.entries(counts).map(([series, count]) => {
    const [command, tier, outcome] = series.split('|');
    return { command, tier, outcome, count: Number(count), seconds: Number(durations[`${series}|sum`] ?? 0) };
  });
}
