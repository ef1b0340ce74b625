import { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createRedis } from './connection';
import { decodeFailure } from './failure';
import { FopJobData, FopJobResult, JobOutcome } from './payloads';

export interface FopProducerOptions {
  /** Redis URL for the QueueEvents connections (one per queue, opened on first wait). */
  redisUrl: string;
  /** Finds the Queue of a name; queues share the producer connection. */
  queue: (name: string) => Queue;
  /** How long finished jobs stay in their queue, in seconds. */
  jobRetentionS: number;
}

/**
 * The one place that enqueues fop jobs and waits for them. The job id is the result key, so
 * identical concurrent requests land on one job and every waiter gets its outcome.
 */
export class FopProducer {
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly eventConnections: Redis[] = [];

  constructor(private readonly options: FopProducerOptions) {}

  /** Adds the job unless one with its id exists already; answers the job either way. */
  async enqueue(queueName: string, data: FopJobData): Promise<Job<FopJobData, FopJobResult>> {
    const jobOptions: JobsOptions = {
      jobId: data.resultKey,
      // One retry for failures no input explains (a worker crash, a stall); 4xx failures are
      // thrown as unrecoverable by the worker and never retried.
      attempts: 2,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: this.options.jobRetentionS },
      removeOnFail: { age: this.options.jobRetentionS },
    };
    return this.options.queue(queueName).add(data.pipeline, data, jobOptions);
  }

  /** Waits up to timeoutMs for the job to finish; never throws for the job's own failure. */
  async wait(queueName: string, job: Job<FopJobData, FopJobResult>, timeoutMs: number): Promise<JobOutcome> {
    const events = await this.queueEvents(queueName);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<JobOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ state: 'timeout' }), timeoutMs);
    });
    // BullMQ's own ttl only cleans up its listeners after our timeout has answered.
    const finished = job.waitUntilFinished(events, timeoutMs + 1000).then(
      (result: FopJobResult): JobOutcome => ({ state: 'completed', result }),
      async (error: Error): Promise<JobOutcome> => {
        const failed = await this.options.queue(queueName).getJob(job.id!).catch(() => undefined);
        return { state: 'failed', ...decodeFailure(error.message), finishedOn: failed?.finishedOn };
      },
    );
    try {
      return await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes a finished job so that the same id can be enqueued afresh. */
  async discard(queueName: string, jobId: string): Promise<void> {
    const job = await this.options.queue(queueName).getJob(jobId);
    if (job && (job.finishedOn !== undefined || (await job.isFailed()))) await job.remove().catch(() => undefined);
  }

  /** Closes the QueueEvents this producer opened (the queues belong to their owner). */
  async close(): Promise<void> {
    const all = await Promise.allSettled([...this.events.values()]);
    await Promise.allSettled(all.map((entry) => (entry.status === 'fulfilled' ? entry.value.close() : undefined)));
    this.eventConnections.forEach((connection) => connection.disconnect());
    this.events.clear();
  }

  private queueEvents(queueName: string): Promise<QueueEvents> {
    let events = this.events.get(queueName);
    if (!events) {
      const connection = createRedis(this.options.redisUrl, 'events', `fopflow-events-${queueName}`);
      this.eventConnections.push(connection);
      const queueEvents = new QueueEvents(queueName, { connection });
      // Every waiting request adds a listener; their number is bounded by the HTTP layer, not here.
      queueEvents.setMaxListeners(0);
      queueEvents.on('error', () => undefined);
      events = queueEvents.waitUntilReady().then(() => queueEvents);
      events.catch(() => this.events.delete(queueName));
      this.events.set(queueName, events);
    }
    return events;
  }
}
