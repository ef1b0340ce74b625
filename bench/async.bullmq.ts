// Raw BullMQ with nothing of Fopflow around it: the floor of what a job costs on this machine.
import { Job, Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import type { AddRun, ThroughputRun } from './async.plan';
import { JOBS_PER_BATCH } from './async.plan';
import type { ProgressLog } from './benchmark';
import { cpuSnapshot, otherCpuCores, processCpuWindow } from './support/cpu';
import { startRedis } from './support/redis-server';

/** Untimed jobs added and processed first, so BullMQ's code is compiled before anything is timed. */
const WARMUP_JOBS = 2_000;
/** Jobs at once of the warm-up worker. */
const WARMUP_CONCURRENCY = 50;

/** What raw BullMQ gave, with the same job count and batch size as Fopflow's run. */
export interface RawBullmqRuns {
  adds: AddRun[];
  processing: ThroughputRun[];
}

/** What one timed piece of work took. */
interface Timed {
  seconds: number;
  otherCpuCores: number;
  /** CPU of the bench process (producer and worker) and of redis-server, in ms. */
  cpuMs: Record<string, number>;
}

/**
 * On a fresh redis-server of its own (the platform is stopped by then): addBulk of `jobs` no-op
 * jobs in one call and in calls of JOBS_PER_BATCH; a no-op Worker draining `jobs` added
 * beforehand at each of `concurrencies`; and the shape of Fopflow's run, batches added while a
 * worker of `endToEndConcurrency` runs, from the first add to the last job done.
 */
export async function measureRawBullmq(jobs: number, concurrencies: readonly number[], endToEndConcurrency: number, log: ProgressLog): Promise<RawBullmqRuns> {
  const redis = await startRedis();
  // Workers need maxRetriesPerRequest null (BullMQ's production guide); the queues share it.
  const connection = new IORedis(redis.url, { maxRetriesPerRequest: null });
  let queues = 0;
  const freshQueue = () => new Queue(`raw-${queues++}`, { connection });
  const timed = async (work: () => Promise<void>): Promise<Timed> => {
    const cpu = cpuSnapshot();
    const cpuOf = processCpuWindow({ 'bench process': process.pid, 'redis-server': redis.pid });
    const started = performance.now();
    await work();
    return { seconds: (performance.now() - started) / 1000, otherCpuCores: otherCpuCores(cpu, cpuSnapshot()), cpuMs: cpuOf() };
  };
  try {
    const warm = freshQueue();
    await warm.addBulk(noopJobs(WARMUP_JOBS));
    await drain(connection, warm.name, WARMUP_CONCURRENCY, WARMUP_JOBS);

    const adds: AddRun[] = [];
    for (const jobsPerCall of [jobs, JOBS_PER_BATCH]) {
      const queue = freshQueue();
      let callMs: number[] = [];
      const { seconds, otherCpuCores } = await timed(async () => {
        callMs = await addInCalls(queue, jobs, jobsPerCall);
      });
      adds.push({ path: `raw BullMQ addBulk, ${jobsPerCall} per call`, jobs, jobsPerCall, seconds, callMs, otherCpuCores });
      log(`raw addBulk ×${jobsPerCall}: ${(jobs / seconds).toFixed(0)} jobs/s`);
    }

    const processing: ThroughputRun[] = [];
    for (const concurrency of concurrencies) {
      const queue = freshQueue();
      await queue.addBulk(noopJobs(jobs));
      const run = await timed(() => drain(connection, queue.name, concurrency, jobs));
      processing.push({ path: 'raw BullMQ, jobs added first', jobs, jobsAtOnce: concurrency, totalS: run.seconds, failed: 0, otherCpuCores: run.otherCpuCores, cpuMs: run.cpuMs });
      log(`raw worker ×${concurrency}: ${(jobs / run.seconds).toFixed(0)} jobs/s`);
    }

    const queue = freshQueue();
    let submitS = 0;
    const endToEnd = await timed(() =>
      drain(connection, queue.name, endToEndConcurrency, jobs, async () => {
        const started = performance.now();
        await addInCalls(queue, jobs, JOBS_PER_BATCH);
        submitS = (performance.now() - started) / 1000;
      }),
    );
    processing.push({
      path: `raw BullMQ, batches of ${JOBS_PER_BATCH} added while it runs`,
      jobs,
      jobsAtOnce: endToEndConcurrency,
      submitS,
      totalS: endToEnd.seconds,
      failed: 0,
      otherCpuCores: endToEnd.otherCpuCores,
      cpuMs: endToEnd.cpuMs,
    });
    log(`raw end to end ×${endToEndConcurrency}: ${(jobs / endToEnd.seconds).toFixed(0)} jobs/s`);
    return { adds, processing };
  } finally {
    connection.disconnect();
    await redis.stop();
  }
}

function noopJobs(count: number, offset = 0): { name: string; data: { n: number } }[] {
  return Array.from({ length: count }, (_, n) => ({ name: 'noop', data: { n: offset + n } }));
}

/** Adds `jobs` no-op jobs, `jobsPerCall` per addBulk, one call at a time; answers each call's ms. */
async function addInCalls(queue: Queue, jobs: number, jobsPerCall: number): Promise<number[]> {
  const callMs: number[] = [];
  for (let added = 0; added < jobs; added += jobsPerCall) {
    const started = performance.now();
    await queue.addBulk(noopJobs(Math.min(jobsPerCall, jobs - added), added));
    callMs.push(performance.now() - started);
  }
  return callMs;
}

/**
 * A Worker with a no-op processor at `concurrency`, from its start until `jobs` jobs have completed;
 * `meanwhile` runs once it has started (adding the jobs, for a run whose queue starts empty).
 */
async function drain(connection: IORedis, queueName: string, concurrency: number, jobs: number, meanwhile?: () => Promise<void>): Promise<void> {
  let finished = 0;
  let failure: Error | undefined;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker(queueName, async () => undefined, { connection, concurrency, autorun: false });
  const count = () => ++finished === jobs && allDone();
  worker.on('completed', count);
  worker.on('failed', (_job: Job | undefined, error: Error) => {
    failure ??= error;
    count();
  });
  const running = worker.run();
  try {
    await meanwhile?.();
    await done;
    if (failure) throw new Error(`a no-op job failed: ${failure.message}`);
  } finally {
    await worker.close();
    await running;
  }
}
