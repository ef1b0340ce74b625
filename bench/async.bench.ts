import type { Agent } from 'node:http';
import { measureRawBullmq } from './async.bullmq';
import {
  ASYNC_KEY,
  BATCH_LEVELS,
  BUCKET,
  CHEAP_FOP,
  DRAIN_TIMEOUT_MS,
  END_TO_END_JOBS,
  END_TO_END_WARMUP_JOBS,
  JOBS_PER_BATCH,
  PARALLEL_UPLOADS,
  RAW_CONCURRENCIES,
  SINGLE_LEVELS,
  SUBMIT_PLAN,
  SUBMIT_SOURCE_KEY,
  SubmitPath,
  SubmitRun,
  ThroughputRun,
  TINY_IMAGE,
} from './async.plan';
import { asyncSection } from './async.report';
import type { Benchmark, ProgressLog } from './benchmark';
import { MeasuredCell, measureLevels } from './support/cells';
import { cpuSnapshot, otherCpuCores, processCpuWindow } from './support/cpu';
import { keepAliveAgent } from './support/http-get';
import { completedJobTotals, meanJobMs } from './support/job-metrics';
import type { Operation } from './support/load';
import { forEachInParallel } from './support/parallel';
import { loggedConcurrency, withGateway, withPlatform } from './support/platform';
import { fopQueueName, QueueCounter } from './support/queue-counts';
import { expectStatus, keysEnv, SignedClient } from './support/signed-client';
import { realisticJpeg } from './support/source-image';

/** One async job as the native API takes it: the cheap fop of one stored object. */
const jobOf = (key: string) => ({ source: { bucket: BUCKET, key }, fops: [CHEAP_FOP] });

const fopQueue = fopQueueName(CHEAP_FOP, ASYNC_KEY.tier);

export const asyncBenchmark: Benchmark = {
  name: 'async',
  async run(log: ProgressLog): Promise<string> {
    const image = await realisticJpeg(TINY_IMAGE);
    log(`source: ${TINY_IMAGE.width}x${TINY_IMAGE.height} JPEG, ${image.length} bytes`);
    const submit = await measureSubmission(image, log);
    const { run: fopflow, workerConcurrency } = await measureFopflowThroughput(image, log);
    const concurrency = Number(workerConcurrency);
    if (!Number.isInteger(concurrency)) throw new Error(`the worker's ${CHEAP_FOP} concurrency is ${workerConcurrency}`);
    const levels = [...new Set([...RAW_CONCURRENCIES, concurrency])].sort((a, b) => a - b);
    const raw = await measureRawBullmq(END_TO_END_JOBS, levels, concurrency, log);
    return asyncSection({ submit, fopflow, rawProcessing: raw.processing, rawAdds: raw.adds, sourceBytes: image.length, workerConcurrency });
  },
};

/** (a): the gateway with no worker at all, so that nothing takes the jobs it accepts. */
function measureSubmission(image: Buffer, log: ProgressLog): Promise<SubmitRun> {
  return withGateway({ env: { FOPFLOW_KEYS: keysEnv(ASYNC_KEY) } }, async (platform) => {
    const client = new SignedClient(platform.url, ASYNC_KEY);
    await client.upload(BUCKET, SUBMIT_SOURCE_KEY, image, 'image/jpeg');
    const job = jobOf(SUBMIT_SOURCE_KEY);
    const batch = { jobs: Array.from({ length: JOBS_PER_BATCH }, () => job) };
    const endpoints: { path: SubmitPath; route: string; levels: readonly number[]; body: unknown }[] = [
      { path: 'POST /v1/jobs', route: '/v1/jobs', levels: SINGLE_LEVELS, body: job },
      { path: 'POST /v1/jobs/batch', route: '/v1/jobs/batch', levels: BATCH_LEVELS, body: batch },
    ];
    const cells: MeasuredCell<SubmitPath>[] = [];
    for (const { path, route, levels, body } of endpoints) {
      cells.push(...(await measureLevels({ path, levels, plan: SUBMIT_PLAN, operationFor: (agent) => accepted(client, agent, route, body), log })));
    }
    const counter = new QueueCounter(platform.redis.url, [fopQueue]);
    try {
      const totals = await counter.totals();
      return { cells, pendingAtEnd: totals.pending, takenAtEnd: totals.active + totals.completed + totals.failed };
    } finally {
      await counter.close();
    }
  });
}

/** A signed POST of `body` that counts only when answered 202. */
function accepted(client: SignedClient, agent: Agent, path: string, body: unknown): Operation {
  return async () => expectStatus(`POST ${path}`, await client.postJson(path, body, agent), 202);
}

/**
 * (b): one worker consuming only the cheap fop. Every job reads its own copy of the source: jobs
 * of the same source and fop share one result-cache entry, and all but the first would skip the work.
 */
function measureFopflowThroughput(image: Buffer, log: ProgressLog): Promise<{ run: ThroughputRun; workerConcurrency: string }> {
  const env = { FOPFLOW_KEYS: keysEnv(ASYNC_KEY), FOPFLOW_WORKER_COMMANDS: CHEAP_FOP };
  return withPlatform({ env }, async (platform) => {
    const workerConcurrency = loggedConcurrency(platform.worker, CHEAP_FOP);
    const client = new SignedClient(platform.url, ASYNC_KEY);
    const keys = Array.from({ length: END_TO_END_WARMUP_JOBS + END_TO_END_JOBS }, (_, n) => `tiny/${n}.jpg`);
    await forEachInParallel(keys, PARALLEL_UPLOADS, (key) => client.upload(BUCKET, key, image, 'image/jpeg'));
    log(`uploaded ${keys.length} copies; worker runs ${CHEAP_FOP} ×${workerConcurrency}`);
    const counter = new QueueCounter(platform.redis.url, [fopQueue]);
    const agent = keepAliveAgent(1);
    try {
      const warmupFrom = await counter.totals();
      await submitInBatches(client, agent, keys.slice(0, END_TO_END_WARMUP_JOBS));
      const before = await counter.waitForFinished(warmupFrom, END_TO_END_WARMUP_JOBS, DRAIN_TIMEOUT_MS);
      const jobsBefore = await completedJobTotals(platform.url, CHEAP_FOP);
      const cpu = cpuSnapshot();
      const cpuOf = processCpuWindow({
        'bench process': process.pid,
        gateway: platform.gateway.pid,
        worker: platform.worker.pid,
        'redis-server': platform.redis.pid,
      });
      const started = performance.now();
      await submitInBatches(client, agent, keys.slice(END_TO_END_WARMUP_JOBS));
      const submitS = (performance.now() - started) / 1000;
      const after = await counter.waitForFinished(before, END_TO_END_JOBS, DRAIN_TIMEOUT_MS);
      const totalS = (performance.now() - started) / 1000;
      const otherCores = otherCpuCores(cpu, cpuSnapshot());
      const cpuMs = cpuOf();
      const jobsAfter = await completedJobTotals(platform.url, CHEAP_FOP);
      log(`Fopflow end to end: ${(END_TO_END_JOBS / totalS).toFixed(0)} jobs/s (submitted in ${submitS.toFixed(2)} s)`);
      const run: ThroughputRun = {
        path: `Fopflow, batches of ${JOBS_PER_BATCH} submitted while it runs`,
        jobs: END_TO_END_JOBS,
        jobsAtOnce: Number(workerConcurrency),
        submitS,
        totalS,
        failed: after.failed - before.failed,
        meanJobMs: meanJobMs(jobsBefore, jobsAfter),
        otherCpuCores: otherCores,
        cpuMs,
      };
      return { run, workerConcurrency };
    } finally {
      agent.destroy();
      await counter.close();
    }
  });
}

/** Submits one job per key, JOBS_PER_BATCH per signed batch request, one request at a time. */
async function submitInBatches(client: SignedClient, agent: Agent, keys: readonly string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += JOBS_PER_BATCH) {
    const jobs = keys.slice(start, start + JOBS_PER_BATCH).map(jobOf);
    expectStatus('POST /v1/jobs/batch', await client.postJson('/v1/jobs/batch', { jobs }, agent), 202);
  }
}
