import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Benchmark, ProgressLog } from './benchmark';
import {
  ADMIN_TOKEN,
  BACK_TO_MIN_TIMEOUT_MS,
  BUCKET,
  BURST_BATCH,
  BURST_JOBS,
  burstFop,
  DRAIN_TIMEOUT_MS,
  FIRST_READY_TIMEOUT_MS,
  INSTANCE_POLL_MS,
  PHOTO,
  PHOTO_KEY,
  POOL_SETTINGS,
  POOLS_FILE_CONTENT,
  QUIET_BEFORE_BURST_MS,
  RuntimeOutcome,
  RuntimeRun,
  SCALER_KEY,
  SCALER_TICK_MS,
  TAIL_AFTER_MIN_MS,
} from './scaler.plan';
import { scalerSection } from './scaler.report';
import { compareDecisions, concurrencyPerInstance, loadScalingPolicy } from './scaler.replay';
import { BenchRuntime, buildWorkerImage, dockerEngineVersion, RUNTIMES } from './scaler.runtimes';
import { PoolLook, PoolWatch } from './scaler.watch';
import { builtAppsSnapshot } from './support/built-apps';
import { cleanUpOnExit, makeTempDir, removeTempDir } from './support/cleanup';
import { adoptProcess, cpuSnapshot, otherCpuCores, releaseAdoptedProcesses } from './support/cpu';
import { keepAliveAgent } from './support/http-get';
import { endedEarly, withGateway } from './support/platform';
import { finishedSince, fopQueueName, QueueCounter } from './support/queue-counts';
import { expectStatus, keysEnv, SignedClient } from './support/signed-client';
import { realisticJpeg } from './support/source-image';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Characters of the scaler's output kept in a failure's message: its last ones. */
const SCALER_OUTPUT_TAIL_CHARS = 3_000;

export const scalerBenchmark: Benchmark = {
  name: 'scaler',
  async run(log: ProgressLog): Promise<string> {
    const photo = await realisticJpeg(PHOTO);
    log(`source: ${PHOTO.width}x${PHOTO.height} JPEG, ${photo.length} bytes`);
    const dir = makeTempDir('fopflow-bench-scaler-');
    try {
      const poolsFile = join(dir, 'pools.json');
      writeFileSync(poolsFile, JSON.stringify(POOLS_FILE_CONTENT, null, 2));
      const outcomes: RuntimeOutcome[] = [];
      let imageBuild: Promise<number> | undefined;
      let imageBuildS: number | undefined;
      for (const runtime of RUNTIMES) {
        const unavailable = runtime.unavailable();
        if (unavailable) {
          log(`${runtime.name}: skipped, ${unavailable}`);
          outcomes.push({ runtime: runtime.name, skipped: unavailable });
          continue;
        }
        try {
          if (runtime.containers) {
            imageBuild ??= buildWorkerImage();
            imageBuildS = await imageBuild;
          }
          const run = await measureRuntime(runtime, photo, poolsFile, log);
          outcomes.push({ runtime: runtime.name, run });
        } catch (error) {
          // One runtime failing (an engine in trouble, say) leaves the others' figures standing.
          const message = (error as Error).message;
          log(`${runtime.name}: failed, ${message}`);
          outcomes.push({ runtime: runtime.name, failed: message });
        }
      }
      const policy = loadScalingPolicy(await builtAppsSnapshot(REPO_ROOT));
      const perInstance = concurrencyPerInstance(REPO_ROOT, POOL_SETTINGS.commands);
      const comparisons = outcomes.map((outcome) => outcome.run && compareDecisions(policy, outcome.run, perInstance, BURST_JOBS));
      return scalerSection({ outcomes, comparisons, photoBytes: photo.length, imageBuildS, engine: dockerEngineVersion(), perInstance });
    } finally {
      removeTempDir(dir);
    }
  },
};

/**
 * A fresh platform with no worker and the scaler on `runtime`: waits for the pool's first ready
 * instance, sends the burst, and watches the pool scale out, drain and come back to its minimum.
 */
export function measureRuntime(runtime: BenchRuntime, photo: Buffer, poolsFile: string, log: ProgressLog): Promise<RuntimeRun> {
  const env = { FOPFLOW_KEYS: keysEnv(SCALER_KEY), FOPFLOW_ADMIN_TOKEN: ADMIN_TOKEN, FOPFLOW_POOLS_FILE: poolsFile };
  return withGateway({ env, shareDataDir: runtime.containers, ...runtime.platform }, async (platform) => {
    const client = new SignedClient(platform.url, SCALER_KEY);
    await client.upload(BUCKET, PHOTO_KEY, photo, 'image/jpeg');
    const counter = new QueueCounter(platform.redis.url, [fopQueueName('imageView2', SCALER_KEY.tier)]);
    // Instances outlive a killed scaler (containers and services by design): an interrupted run
    // kills the worker processes it has seen and removes its containers on its way out.
    const workerPids = new Set<number>();
    const forgetLeftovers = cleanUpOnExit(() => {
      for (const pid of workerPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      runtime.cleanupNow();
    });
    const scalerStartedAt = Date.now();
    const scaler = await platform.startApp('scaler', { FOPFLOW_SCALER_TICK_MS: String(SCALER_TICK_MS), ...runtime.scalerEnv(platform.dataDir, Number(new URL(platform.redis.url).port)) });
    // Each instance's worker process counts as the bench's own CPU, not another process's.
    const adoptions: Promise<void>[] = [];
    const watch = new PoolWatch(platform.url, counter, (instance) =>
      adoptions.push(
        runtime.hostPid(instance).then(
          (pid) => {
            if (pid === undefined) return;
            workerPids.add(pid);
            adoptProcess(pid);
          },
          () => undefined,
        ),
      ),
    );
    const whileScalerRuns = <T>(step: Promise<T>) => Promise.race([step, endedEarly(scaler, 'during the run')]);
    try {
      const first = await whileScalerRuns(watch.until('a ready instance', (look) => readyCount(look) >= 1, FIRST_READY_TIMEOUT_MS));
      log(`${runtime.name}: first instance ready ${((first.at - scalerStartedAt) / 1000).toFixed(1)} s after the scaler started`);
      await new Promise((resolve) => setTimeout(resolve, QUIET_BEFORE_BURST_MS));
      await Promise.all(adoptions);
      const before = watch.latest!;
      const initial = new Set(before.instances.map((instance) => instance.id));
      const cpu = cpuSnapshot();
      const burstAt = Date.now();
      await submitBurst(client);
      const submitS = (Date.now() - burstAt) / 1000;
      const drained = await whileScalerRuns(watch.until('the burst to drain', (look) => finishedSince(before.totals, look.totals) >= BURST_JOBS, DRAIN_TIMEOUT_MS));
      const otherCores = otherCpuCores(cpu, cpuSnapshot());
      log(`${runtime.name}: drained ${((drained.at - burstAt) / 1000).toFixed(1)} s after the burst`);
      const back = await whileScalerRuns(
        watch.until('the pool back at its minimum', (look) => look.instances.length <= POOL_SETTINGS.minInstances, BACK_TO_MIN_TIMEOUT_MS),
      );
      await new Promise((resolve) => setTimeout(resolve, TAIL_AFTER_MIN_MS));
      await watch.stop();

      const since = (at: number | undefined) => (at === undefined ? undefined : (at - burstAt) / 1000);
      const newIds = [...watch.firstSeen.keys()].filter((id) => !initial.has(id));
      const earliest = (times: Map<string, number>) => {
        const seen = newIds.flatMap((id) => (times.has(id) ? [times.get(id)!] : []));
        return seen.length ? Math.min(...seen) : undefined;
      };
      const firstNewReadyAt = earliest(watch.firstReady);
      const afterBurst = watch.looks.filter((look) => look.at >= burstAt);
      // One instance's pace: what finished before a second one could take jobs.
      const paceLook = (firstNewReadyAt !== undefined && afterBurst.find((look) => look.at >= firstNewReadyAt)) || drained;
      const mostReady = Math.max(...afterBurst.map(readyCount));
      // The scaled-out pace: from the first look with the most ready instances to the drain.
      const fullLook = afterBurst.find((look) => readyCount(look) === mostReady && look.at < drained.at);
      return {
        coldStartS: (first.at - scalerStartedAt) / 1000,
        burstAt,
        submitS,
        decidedS: since(watch.decisions.find((tick) => tick.at >= burstAt && tick.desired > 1)?.at),
        firstNewSeenS: since(earliest(watch.firstSeen)),
        firstNewReadyS: since(firstNewReadyAt),
        mostReady,
        drainS: since(drained.at)!,
        backToMinS: since(back.at)!,
        completed: drained.totals.completed - before.totals.completed,
        failed: drained.totals.failed - before.totals.failed,
        oneInstancePerS: finishedSince(before.totals, paceLook.totals) / ((paceLook.at - burstAt) / 1000),
        scaledOutPerS: fullLook ? finishedSince(fullLook.totals, drained.totals) / ((drained.at - fullLook.at) / 1000) : undefined,
        otherCpuCores: otherCores,
        trace: watch.decisions.filter((tick) => tick.at >= burstAt - QUIET_BEFORE_BURST_MS - SCALER_TICK_MS),
        readyLooks: watch.looks.filter((look) => look.at >= burstAt - QUIET_BEFORE_BURST_MS - INSTANCE_POLL_MS).map((look) => ({ at: look.at, ready: readyCount(look) })),
      };
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- scaler ---\n${scaler.output().slice(-SCALER_OUTPUT_TAIL_CHARS)}`);
    } finally {
      await watch.stop();
      await counter.close();
      await scaler.stop();
      await runtime.cleanup();
      forgetLeftovers();
      releaseAdoptedProcesses();
    }
  });
}

function readyCount(look: PoolLook): number {
  return look.instances.filter((instance) => instance.state === 'ready').length;
}

/** The burst: BURST_JOBS distinct thumbnails, BURST_BATCH per signed batch request, one request at a time. */
async function submitBurst(client: SignedClient): Promise<void> {
  const agent = keepAliveAgent(1);
  try {
    for (let start = 0; start < BURST_JOBS; start += BURST_BATCH) {
      const jobs = Array.from({ length: Math.min(BURST_BATCH, BURST_JOBS - start) }, (_, n) => ({
        source: { bucket: BUCKET, key: PHOTO_KEY },
        fops: [burstFop(start + n)],
      }));
      expectStatus('POST /v1/jobs/batch', await client.postJson('/v1/jobs/batch', { jobs }, agent), 202);
    }
  } finally {
    agent.destroy();
  }
}
