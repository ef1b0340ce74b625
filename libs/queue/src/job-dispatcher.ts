import type { Job, JobsOptions, Queue } from 'bullmq';
import { type JobName, type JobOf, type JobSettings, jobCatalogue } from './job-catalogue';

/** What the dispatcher reads from the configuration. */
export interface JobSettingsSource {
  jobRetentionS: number;
  jobRetentionCount: number;
  statusRetentionS: number;
  /** Seconds before each webhook retry (FOPFLOW_WEBHOOK_RETRY_S): one delivery per entry. */
  webhookRetryScheduleS: readonly number[];
}

/** The catalogue's settings from the configuration. */
export function jobSettings(config: JobSettingsSource): JobSettings {
  return {
    jobRetentionS: config.jobRetentionS,
    jobRetentionCount: config.jobRetentionCount,
    statusRetentionS: config.statusRetentionS,
    webhookAttempts: config.webhookRetryScheduleS.length,
  };
}

/** A job to add: its payload and its id (ids make a repeated add a no-op). */
export interface Dispatch<N extends JobName> {
  data: JobOf<N>;
  jobId: string;
}

/**
 * The one place jobs are added: it takes the queue, the name and the options from the job
 * catalogue, so every producer of a kind of job treats it alike; bulk adds go out as one
 * `addBulk` per queue.
 */
export class JobDispatcher {
  constructor(
    /** Finds the Queue of a name (the app's own registry, opened once per name). */
    private readonly queue: (name: string) => Queue,
    private readonly settings: JobSettings,
  ) {}

  /** The options a job of `name` is added with. */
  options(name: JobName, jobId: string): JobsOptions {
    return { ...jobCatalogue[name].options(this.settings), jobId };
  }

  /** The queue a job of `name` with `data` goes to. */
  queueOf<N extends JobName>(name: N, data: JobOf<N>): string {
    return (jobCatalogue[name] as { queueOf(data: JobOf<N>): string }).queueOf(data);
  }

  /** Adds one job unless one with its id exists already; answers the job either way. */
  dispatch<N extends JobName>(name: N, { data, jobId }: Dispatch<N>): Promise<Job<JobOf<N>>> {
    const spec = jobCatalogue[name] as { labelOf(data: JobOf<N>): string };
    return this.queue(this.queueOf(name, data)).add(spec.labelOf(data), data, this.options(name, jobId)) as Promise<Job<JobOf<N>>>;
  }

  /** Adds many jobs, one `addBulk` per queue, all queues at once. */
  async dispatchBulk<N extends JobName>(name: N, jobs: ReadonlyArray<Dispatch<N>>): Promise<Job<JobOf<N>>[]> {
    const spec = jobCatalogue[name] as { labelOf(data: JobOf<N>): string };
    const byQueue = new Map<string, Array<Dispatch<N>>>();
    for (const job of jobs) {
      const queueName = this.queueOf(name, job.data);
      byQueue.set(queueName, [...(byQueue.get(queueName) ?? []), job]);
    }
    const added = await Promise.all(
      [...byQueue].map(([queueName, entries]) =>
        this.queue(queueName).addBulk(entries.map(({ data, jobId }) => ({ name: spec.labelOf(data), data, opts: this.options(name, jobId) }))),
      ),
    );
    return added.flat() as Job<JobOf<N>>[];
  }
}
