import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written on behalf of one request or job carries. */
export interface LogContext {
  /** The HTTP request the work started from (X-Request-Id, honoured or made by the gateway). */
  requestId?: string;
  /** The BullMQ job being worked on, in the worker. */
  jobId?: string;
  /** The queue that job came from. */
  queue?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `context` added to the current one: every log line inside carries it. */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  const defined = Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined));
  return storage.run({ ...storage.getStore(), ...defined }, work);
}

/** The context of the request or job this code runs for; empty outside any. */
export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}

/** The little of a BullMQ job the log context needs (no bullmq import here). */
export interface LoggableJob {
  id?: string;
  queueName: string;
  data: { requestId?: string };
}

/** What the job lines are written through: a Nest Logger. */
export interface JobLineWriter {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Runs a job's work inside its log context (its request id from the job data, its id and queue),
 * with a line when it starts and one when it ends: one request can be followed from the gateway
 * through every worker it reached. Rethrows the job's error untouched.
 */
export function inJobLogContext<T>(job: LoggableJob, lines: JobLineWriter, work: () => Promise<T>): Promise<T> {
  return withLogContext({ requestId: job.data.requestId, jobId: job.id, queue: job.queueName }, async () => {
    const started = Date.now();
    lines.log('job started');
    try {
      const result = await work();
      lines.log(`job completed in ${Date.now() - started} ms`);
      return result;
    } catch (error) {
      lines.warn(`job failed after ${Date.now() - started} ms: ${(error as Error).message}`);
      throw error;
    }
  });
}
