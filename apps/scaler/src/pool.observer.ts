import { readJobTotals } from '@fopflow/metrics';
import { fopQueueName, queueOptions, type RedisClient } from '@fopflow/queue';
import { Queue } from 'bullmq';

/** Weight of the newest sample in the smoothed arrival rate. */
const ARRIVAL_SMOOTHING = 0.5;
/** Service time assumed before any job of the pool has finished, in seconds. */
const DEFAULT_SERVICE_S = 1;

interface Sample {
  at: number;
  pending: number;
  finished: number;
  busySeconds: number;
}

/**
 * Reads a pool's backlog the way BullMQ stores it (waiting + prioritized + delayed, over every
 * command and tier: KEDA's LLEN of one list under-counts it), and derives the arrival rate and
 * mean service time from the job counters workers keep in Redis.
 */
export class PoolObserver {
  private readonly queues: Queue[];
  private last?: Sample;
  private arrivalPerS = 0;
  private meanServiceS = DEFAULT_SERVICE_S;

  constructor(
    private readonly redis: RedisClient,
    private readonly commands: readonly string[],
    tiers: readonly string[],
  ) {
    this.queues = commands.flatMap((command) => tiers.map((tier) => new Queue(fopQueueName(command, tier), queueOptions(redis))));
    this.queues.forEach((queue) => queue.on('error', () => undefined));
  }

  async observe(): Promise<{ pending: number; arrivalPerS: number; meanServiceS: number }> {
    const counts = await Promise.all(this.queues.map((queue) => queue.getJobCounts('waiting', 'prioritized', 'delayed')));
    const pending = counts.reduce((sum, count) => sum + count.waiting + count.prioritized + count.delayed, 0);
    const sample = { at: Date.now(), pending, ...(await this.finishedSoFar()) };
    if (this.last && sample.at > this.last.at) {
      const seconds = (sample.at - this.last.at) / 1000;
      const finished = sample.finished - this.last.finished;
      // Whatever finished or still waits beyond the last sample arrived in between.
      const arrived = Math.max(0, sample.pending - this.last.pending + finished);
      this.arrivalPerS = ARRIVAL_SMOOTHING * (arrived / seconds) + (1 - ARRIVAL_SMOOTHING) * this.arrivalPerS;
      if (finished > 0) this.meanServiceS = (sample.busySeconds - this.last.busySeconds) / finished;
    }
    this.last = sample;
    return { pending, arrivalPerS: this.arrivalPerS, meanServiceS: this.meanServiceS };
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  /** Jobs finished and seconds spent on them, over the pool's commands (JobStatsRecorder's counters). */
  private async finishedSoFar(): Promise<{ finished: number; busySeconds: number }> {
    const totals = (await readJobTotals(this.redis)).filter((total) => this.commands.includes(total.command));
    return {
      finished: totals.reduce((sum, total) => sum + total.count, 0),
      busySeconds: totals.reduce((sum, total) => sum + total.seconds, 0),
    };
  }
}
