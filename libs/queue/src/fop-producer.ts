import { Job, Queue, QueueEvents } from 'bullmq';
import type { RedisClient } from './connection';
import { createRedis } from './connection';
import { decodeFailure } from '@fopflow/errors';
import { FopJobData, FopJobResult, JobOutcome } from './payloads';
import { removeFinishedJob } from './finished-job';
import type { JobDispatcher } from './job-dispatcher';

/** Most times one pipeline may move to another pool's queue. */
const MAX_HAND_OFFS = 10;

/** BullMQ's reason for a parent failed by its child (`failParentOnFailure`). */
const CHILD_FAILED = /^child (\S+) failed$/;

/** How often a waiting request checks its job's state besides listening for events, in ms. */
const STATE_POLL_MS = 1000;

export interface FopProducerOptions {
  /** Redis URL for the QueueEvents connections (one per queue, opened on first use). */
  redisUrl: string;
  /** The producer connection the queues share, for reading where each event stream stands. */
  connection: RedisClient;
  /** Finds the Queue of a name; queues share the producer connection. */
  queue: (name: string) => Queue;
  /** Adds the jobs, with the catalogue's options. */
  dispatcher: JobDispatcher;
}

/**
 * The one place that enqueues fop jobs and waits for them. The job id is the result key, so
 * identical concurrent requests land on one job and every waiter gets its outcome.
 */
export class FopProducer {
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly eventConnections: RedisClient[] = [];

  constructor(private readonly options: FopProducerOptions) {}

  /** Adds the job unless one with its id (default: its result key) exists already; answers the job either way. */
  async enqueue(data: FopJobData, jobId = data.resultKey): Promise<Job<FopJobData, FopJobResult>> {
    // Listening starts before the job exists, so its completion cannot slip past unseen.
    await this.queueEvents(this.options.dispatcher.pipelineQueue(data));
    return (await this.options.dispatcher.dispatchPipeline({ data, jobId })) as Job<FopJobData, FopJobResult>;
  }

  /**
   * Waits up to timeoutMs for the job to finish; never throws for the job's own failure. Events
   * answer at once; a slow poll of the job's state covers an event lost to a Redis failover.
   * An aborted `signal` (the client went away) ends the wait as a timeout does.
   */
  async wait(queueName: string, job: Job<FopJobData, FopJobResult>, timeoutMs: number, signal?: AbortSignal): Promise<JobOutcome> {
    const events = await this.queueEvents(queueName);
    const timers: NodeJS.Timeout[] = [];
    let onAbort = () => undefined as void;
    const timeout = new Promise<JobOutcome>((resolve) => {
      timers.push(setTimeout(() => resolve({ state: 'timeout' }), timeoutMs));
      onAbort = () => resolve({ state: 'timeout' });
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const polled = new Promise<JobOutcome>((resolve) => {
      timers.push(
        setInterval(() => {
          this.finishedOutcome(queueName, job.id!).then((outcome) => outcome && resolve(outcome), () => undefined);
        }, STATE_POLL_MS),
      );
    });
    // BullMQ's own ttl only cleans up its listeners after our timeout has answered.
    const notified = job.waitUntilFinished(events, timeoutMs + 1000).then(
      (result: FopJobResult): JobOutcome => ({ state: 'completed', result }),
      async (): Promise<JobOutcome> => (await this.finishedOutcome(queueName, job.id!)) ?? { state: 'timeout' },
    );
    try {
      return await Promise.race([notified, polled, timeout]);
    } finally {
      timers.forEach(clearTimeout);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The outcome of a finished job, or undefined while it has not finished. */
  private async finishedOutcome(queueName: string, jobId: string): Promise<JobOutcome | undefined> {
    const job = await this.options.queue(queueName).getJob(jobId);
    if (!job || job.finishedOn === undefined) return undefined;
    if (job.failedReason && !job.returnvalue) {
      return { state: 'failed', ...decodeFailure(await this.rootCause(job.failedReason)), finishedOn: job.finishedOn };
    }
    return { state: 'completed', result: job.returnvalue };
  }

  /**
   * Waits until `deadline` (ms since epoch) for the job's pipeline to finish, following it from
   * queue to queue when a worker hands the remaining steps to another pool.
   */
  async follow(queueName: string, job: Job<FopJobData, FopJobResult>, deadline: number, signal?: AbortSignal): Promise<JobOutcome> {
    let current = { queueName, job };
    for (let hop = 0; hop <= MAX_HAND_OFFS; hop++) {
      const outcome = await this.wait(current.queueName, current.job, Math.max(1, deadline - Date.now()), signal);
      if (outcome.state !== 'completed' || !outcome.result.continuedIn) return outcome;
      const next = outcome.result.continuedIn;
      const nextJob = await this.options.queue(next).getJob(current.job.id!);
      if (!nextJob) return { state: 'failed', status: 500, error: `the job handed on to ${next} is gone` };
      await this.queueEvents(next);
      current = { queueName: next, job: nextJob };
    }
    return { state: 'failed', status: 500, error: `pipeline handed on more than ${MAX_HAND_OFFS} times` };
  }

  /**
   * The reason a chain failed: a segment failed by its child (`child <key> failed`, BullMQ's
   * words) failed for that child's reason, which carries the status to answer.
   */
  private async rootCause(reason: string, depth = 0): Promise<string> {
    const child = CHILD_FAILED.exec(reason);
    if (!child || depth > MAX_HAND_OFFS) return reason;
    const [queueName, jobId] = child[1].split(':').slice(-2);
    const failed = await this.options.queue(queueName).getJob(jobId);
    return failed?.failedReason ? this.rootCause(failed.failedReason, depth + 1) : reason;
  }

  /** Removes a finished job so that the same id can be enqueued afresh. */
  async discard(queueName: string, jobId: string): Promise<void> {
    await removeFinishedJob(this.options.queue(queueName), jobId);
  }

  /**
   * Removes a job no worker has taken yet (waiting, prioritized or delayed); answers whether it
   * was removed. A job a worker holds is locked, and BullMQ refuses to remove it.
   */
  async withdraw(queueName: string, jobId: string): Promise<boolean> {
    const queue = this.options.queue(queueName);
    const state = await queue.getJobState(jobId);
    if (state === 'waiting-children' && (await this.chainStarted(queueName, jobId))) return false;
    if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed' && state !== 'waiting-children') return false;
    // A chain goes whole: its earlier segments are the root's children.
    return (await queue.remove(jobId, { removeChildren: true }).catch(() => 0)) === 1;
  }

  /** True when a segment before the chain's root has been taken by a worker (or has ended). */
  private async chainStarted(queueName: string, jobId: string): Promise<boolean> {
    const job = await this.options.queue(queueName).getJob(jobId);
    const { unprocessed = [], processed = {} } = job ? await job.getDependencies() : {};
    if (Object.keys(processed).length) return true;
    for (const key of unprocessed) {
      const [childQueue, childId] = key.split(':').slice(-2);
      const state = await this.options.queue(childQueue).getJobState(childId);
      if (state === 'waiting-children' ? await this.chainStarted(childQueue, childId) : !['waiting', 'prioritized', 'delayed'].includes(state)) return true;
    }
    return false;
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
      events = this.openQueueEvents(queueName);
      events.catch(() => this.events.delete(queueName));
      this.events.set(queueName, events);
    }
    return events;
  }

  private async openQueueEvents(queueName: string): Promise<QueueEvents> {
    const queue = this.options.queue(queueName);
    // QueueEvents reads from '$' by default: whatever happens before its first read is lost.
    // Starting from the stream's current last id instead loses nothing after this moment.
    const [last] = await this.options.connection.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1);
    const connection = createRedis(this.options.redisUrl, 'events', `fopflow-events-${queueName}`);
    this.eventConnections.push(connection);
    const queueEvents = new QueueEvents(queueName, { connection, prefix: queue.opts.prefix, lastEventId: last?.[0] ?? '0-0' });
    // Every waiting request adds a listener; their number is bounded by the HTTP layer, not here.
    queueEvents.setMaxListeners(0);
    queueEvents.on('error', () => undefined);
    await queueEvents.waitUntilReady();
    return queueEvents;
  }
}
