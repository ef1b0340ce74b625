import { writeFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import type { Benchmark, ProgressLog } from './benchmark';
import { readyOf, UfopCommandApi } from './ufop.commands';
import { startCellCpuWindow } from './ufop.cpu';
import { measureColdStarts, SeenInstances } from './ufop.instances';
import { timeHop, timeWorkDirCopy } from './ufop.parts';
import {
  BUCKET,
  CACHED_LEVELS,
  CACHED_PLAN,
  CELL_PLAN,
  copyKey,
  FLAVOR,
  ONE_INSTANCE_LEVELS,
  platformEnv,
  POOLS_FILE_CONTENT,
  PROGRAM_DIR,
  READY_TIMEOUT_MS,
  REGISTRY,
  SCALER_START_TIMEOUT_MS,
  SEPIA_FOP,
  SOURCE,
  SOURCE_COPIES,
  SOURCE_KEY,
  TWO_INSTANCE_LEVELS,
  UFOP_KEY,
  UFOP_NAME,
  UfopPath,
  UfopRun,
  UPLOAD_SLOTS,
  WARMUP_OPS,
} from './ufop.plan';
import { ufopSection } from './ufop.report';
import { ProgramAlone, sandboxProcesses } from './ufop.sandboxes';
import { LevelsSpec, measureAlternating, MeasuredCell, measureLevels } from './support/cells';
import { BenchChild, makeTempDir, removeTempDir, runTracked } from './support/cleanup';
import { adoptProcess, releaseAdoptedProcesses } from './support/cpu';
import { distinctUrls, range } from './support/distinct-urls';
import { fetchFopOnce, fopRequest } from './support/fop-client';
import { completedJobTotals } from './support/job-metrics';
import { forEachInParallel } from './support/parallel';
import { BenchGateway, endedEarly, loggedConcurrency, withGateway } from './support/platform';
import { waitFor } from './support/ports';
import { SignedClient } from './support/signed-client';
import { realisticJpeg } from './support/source-image';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Characters of the scaler's output (its instances' lines included) kept in a failure's message. */
const SCALER_OUTPUT_TAIL_CHARS = 4_000;

/** The scaler's tick when FOPFLOW_SCALER_TICK_MS is unset, should its log not say. */
const DEFAULT_SCALER_TICK_MS = 1_000;

/** Sandboxes of the program alone: as many as the most instances Fopflow runs. */
const ALONE_SANDBOXES = 2;

export const ufopBenchmark: Benchmark = {
  name: 'ufop',
  async run(log: ProgressLog): Promise<string> {
    const docker = new Docker();
    await checkEngineAndRegistry(docker);
    const source = await realisticJpeg(SOURCE);
    log(`source: ${SOURCE.width}x${SOURCE.height} JPEG q${SOURCE.quality}, ${source.length} bytes`);
    const dir = makeTempDir('fopflow-bench-ufop-');
    try {
      const poolsFile = join(dir, 'pools.json');
      writeFileSync(poolsFile, JSON.stringify(POOLS_FILE_CONTENT, null, 2));
      return ufopSection(await measure(docker, source, dir, poolsFile, log));
    } finally {
      removeTempDir(dir);
    }
  },
};

async function checkEngineAndRegistry(docker: Docker): Promise<void> {
  await docker.ping().catch((error: Error) => {
    throw new Error(`no Docker engine reachable (${error.message}): run 'bash docker/base-image.sh' as root`);
  });
  const registry = await fetch(`http://${REGISTRY}/v2/`).catch(() => undefined);
  if (registry?.status !== 200) throw new Error(`no registry answers on ${REGISTRY}: run 'bash docker/registry.sh'`);
}

/** What every phase of a run works with. */
interface Stage {
  platform: BenchGateway;
  scaler: BenchChild;
  client: SignedClient;
  command: UfopCommandApi;
  docker: Docker;
  seen: SeenInstances;
  log: ProgressLog;
  /** Fails `step` if the scaler (the builder, the instances' parent) ends meanwhile. */
  whileScalerRuns<T>(step: Promise<T>): Promise<T>;
}

/**
 * A fresh gateway and a scaler on the process runtime, no built-in worker: the command is
 * registered, built and resized through the API as a user would; the program alone runs on
 * sandboxes the bench starts itself, beside the platform, which sits idle meanwhile.
 */
function measure(docker: Docker, source: Buffer, dir: string, poolsFile: string, log: ProgressLog): Promise<UfopRun> {
  return withGateway({ env: platformEnv(poolsFile) }, async (platform) => {
    const client = new SignedClient(platform.url, UFOP_KEY);
    const seen = new SeenInstances();
    const scaler = await platform.startApp('scaler', { FOPFLOW_RUNTIME: 'process' });
    const stage: Stage = {
      platform,
      scaler,
      client,
      command: new UfopCommandApi(client, UFOP_NAME),
      docker,
      seen,
      log,
      whileScalerRuns: (step) => Promise.race([step, endedEarly(scaler, 'during the run')]),
    };
    let alone: ProgramAlone | undefined;
    try {
      await stage.whileScalerRuns(waitFor('the scaler', async () => /runtime process/.test(scaler.output()), SCALER_START_TIMEOUT_MS));
      const { image, buildS } = await buildCommand(stage);
      await uploadSources(stage, source);
      const coldStarts = await stage.whileScalerRuns(measureColdStarts(stage.command, scaler, docker, seen, log));

      const aloneIds = range(1, ALONE_SANDBOXES).map((n) => `bench-ufop-alone-${process.pid}-${n}`);
      aloneIds.forEach((id) => seen.ids.add(id));
      alone = await ProgramAlone.start(docker, image, aloneIds, dir, source);
      const hop = await timeHop(alone.socketPath);
      const workDirCopy = await timeWorkDirCopy(alone.source, dir);
      log(`program alone on ${aloneIds.length} sandboxes; the hop alone p50 ${hop.p50Ms.toFixed(2)} ms, the copy alone ${workDirCopy.p50Ms.toFixed(2)} ms`);
      for (const id of aloneIds) Object.values(await sandboxProcesses(docker, id)).forEach(adoptProcess);
      await seen.adopt(docker, (await stage.command.instances()).live);

      const cells = await measureCells(stage, alone, aloneIds);
      return {
        ...cells,
        sourceBytes: source.length,
        coldStarts,
        hop,
        workDirCopy,
        image,
        buildS,
        instanceConcurrency: loggedConcurrency(scaler, UFOP_NAME),
        scalerTickMs: Number(/tick (\d+) ms/.exec(scaler.output())?.[1] ?? DEFAULT_SCALER_TICK_MS),
      };
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- scaler and its instances ---\n${scaler.output().slice(-SCALER_OUTPUT_TAIL_CHARS)}`);
    } finally {
      await alone?.remove().catch((error: Error) => log(`removing the program's sandboxes: ${error.message}`));
      // The scaler stops its instances, and each removes its sandbox as it goes.
      await scaler.stop();
      await seen.cleanUp(docker, log);
      releaseAdoptedProcesses();
    }
  });
}

/** `fopctl reg` and `fopctl build`: answers the image and how long register → built and pushed took. */
async function buildCommand({ command, whileScalerRuns, log }: Stage): Promise<{ image: string; buildS: number }> {
  const started = Date.now();
  await command.register(FLAVOR, 'sepia filter of the benchmark');
  const image = await whileScalerRuns(command.build(join(REPO_ROOT, ...PROGRAM_DIR)));
  const buildS = (Date.now() - started) / 1000;
  log(`built and pushed ${image} in ${buildS.toFixed(1)} s`);
  return { image, buildS };
}

/** The source under its own key, for the cached path, and SOURCE_COPIES copies, one per uncached request. */
async function uploadSources({ client, platform, log }: Stage, source: Buffer): Promise<void> {
  await client.upload(BUCKET, SOURCE_KEY, source, 'image/jpeg');
  await forEachInParallel(range(0, SOURCE_COPIES - 1), UPLOAD_SLOTS, (n) => client.upload(BUCKET, copyKey(n), source, 'image/jpeg'));
  // The kernel would write the copies back to disk a while later, during a cell: now instead.
  await runTracked('sync', 'sync', ['-f', platform.dataDir]);
  log(`uploaded the source and ${SOURCE_COPIES} copies`);
}

/**
 * Program alone and Fopflow uncached in turn: on 1 instance at every level of ONE_INSTANCE_LEVELS,
 * then on 2 (each cell in a CPU window); then Fopflow cached.
 */
async function measureCells(stage: Stage, alone: ProgramAlone, aloneIds: readonly string[]) {
  const { platform, command, docker, seen, log, whileScalerRuns } = stage;
  const urls = distinctUrls('ufop', { copy: range(0, SOURCE_COPIES - 1) }, ({ copy }) => `${platform.url}/${BUCKET}/${copyKey(copy)}?${SEPIA_FOP}`);
  const programAlone = (path: UfopPath, sandboxes: number): Omit<LevelsSpec<UfopPath>, 'levels'> => ({
    path,
    plan: CELL_PLAN,
    warmupOps: WARMUP_OPS,
    operationFor: () => alone.operation(sandboxes),
    log,
  });
  const uncached = (path: UfopPath): Omit<LevelsSpec<UfopPath>, 'levels'> => ({
    path,
    plan: CELL_PLAN,
    warmupOps: WARMUP_OPS,
    operationFor: (agent: Agent) => fopRequest(() => urls.next(), agent, 'MISS'),
    jobTotals: () => completedJobTotals(platform.url, UFOP_NAME),
    log,
  });
  const oneInstance = await whileScalerRuns(
    measureAlternating(ONE_INSTANCE_LEVELS, [programAlone('program alone, 1 sandbox', 1), uncached('Fopflow uncached, 1 instance')]),
  );

  await command.resize(2);
  const two = await whileScalerRuns(command.until('two ready instances', (live) => readyOf(seen.note(live)).length >= 2, READY_TIMEOUT_MS));
  await seen.adopt(docker, two.live);
  // One level: the two cells simply follow each other, each in its own CPU window.
  const aloneCpu = await startCellCpuWindow(docker, aloneIds);
  const [aloneTwo] = await measureLevels({ ...programAlone('program alone, 2 sandboxes', 2), levels: TWO_INSTANCE_LEVELS });
  const twoSandboxesCpu = aloneCpu.stop(requestsOf(aloneTwo)).perRequest;
  const platformProcesses = { gateway: platform.gateway.pid, redis: platform.redis.pid, workers: two.live.map((instance) => instance.pid) };
  const fopflowCpu = await startCellCpuWindow(docker, two.live.map((instance) => instance.id), platformProcesses);
  const [fopflowTwo] = await whileScalerRuns(measureLevels({ ...uncached('Fopflow uncached, 2 instances'), levels: TWO_INSTANCE_LEVELS }));
  const { perRequest: twoInstancesCpu, programShares: instanceShares } = fopflowCpu.stop(requestsOf(fopflowTwo));

  // The cached path starts from a cached result: one request makes it.
  const cachedUrl = `${platform.url}/${BUCKET}/${SOURCE_KEY}?${SEPIA_FOP}`;
  const resultBytes = await fetchFopOnce(cachedUrl, 'MISS');
  const cached = await measureLevels<UfopPath>({
    path: 'Fopflow cached',
    levels: CACHED_LEVELS,
    plan: CACHED_PLAN,
    warmupOps: WARMUP_OPS,
    operationFor: (agent) => fopRequest(() => cachedUrl, agent, 'HIT'),
    log,
  });
  return { cells: [...oneInstance, aloneTwo, fopflowTwo, ...cached], resultBytes, instanceShares, twoSandboxesCpu, twoInstancesCpu };
}

/** Requests a cell sent, its untimed warm-up included: what its CPU window saw. */
function requestsOf(cell: MeasuredCell): number {
  return WARMUP_OPS + cell.result.completed + cell.result.failed;
}
