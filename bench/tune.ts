import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MeasuredCell, measureLevels } from './support/cells';
import { makeTempDir, removeTempDir } from './support/cleanup';
import { fopRequest, uploadObject } from './support/fop-client';
import { completedJobTotals } from './support/job-metrics';
import { machineFacts } from './support/machine';
import { replaceSection } from './support/markdown';
import { drawCharts } from './support/report-charts';
import { forEachInParallel } from './support/parallel';
import { loggedConcurrency, withPlatform } from './support/platform';
import { makeTestClip } from './support/source-clip';
import { realisticJpeg } from './support/source-image';
import { pickKnee, pickSetting } from './tune.knee';
import { BUCKET, CLIP_KEY, imageThreadLevels, IN_FLIGHT_PER_SLOT, PHOTO_KEY, poolKey, poolsToSeed, TUNE_CLIP, TunedCommand, TUNED_COMMANDS } from './tune.plan';
import { CommandSweep, concurrencyFile, sweepPoints, ThreadSweep, TUNE_SECTION, tuneSection } from './tune.report';
import { SOURCE } from './thumbnail.plan';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');
const CONFIG_FILE = join(REPO_ROOT, 'config', 'concurrency.json');
const REPORT_FILE = join(REPO_ROOT, 'BENCHMARKS.md');

/** Uploads running at once while the sources are stored. */
const PARALLEL_UPLOADS = 4;

/** The sources every sweep reads, in memory until uploaded. */
interface Sources {
  photo: Buffer;
  clip: Buffer;
}

const log = (line: string) => console.log(`[tune] ${line}`);

/**
 * `npm run bench:tune`: sweeps each family representative's worker concurrency (and, for images,
 * libvips threads per image against it), picks the setting, writes config/concurrency.json and the "Concurrency tuning" section of BENCHMARKS.md.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const measuredAt = new Date();
  const dataDir = makeTempDir('fopflow-tune-data-');
  try {
    const sources = await makeSources();
    await withPlatform({ dataDir }, (platform) => seed(platform.url, sources));
    const facts = machineFacts();
    // libvips threads are one setting per process, so the image family's representative is swept
    // over threads × jobs; the other image commands are then swept at the threads it chose.
    const [representative, ...others] = TUNED_COMMANDS;
    const threadSweeps: ThreadSweep[] = [];
    for (const threads of imageThreadLevels(facts.cores)) threadSweeps.push({ threads, sweep: await sweep(representative, dataDir, threads) });
    const setting = pickSetting(threadSweeps.flatMap(({ threads, sweep }) => sweepPoints(sweep.points).map((point) => ({ ...point, threads }))));
    log(`image setting: ${setting.threads} libvips threads per image × ${setting.concurrency} jobs`);
    const chosen = threadSweeps.find(({ threads }) => threads === setting.threads)!.sweep;
    const sweeps: CommandSweep[] = [{ ...chosen, knee: setting.concurrency }];
    for (const spec of others) sweeps.push(await sweep(spec, dataDir, spec.family === 'image' ? setting.threads : undefined));
    const run = { facts, measuredAt, sweeps, imageThreads: setting.threads, threadSweeps, elapsedS: (Date.now() - started) / 1000 };
    writeFileSync(CONFIG_FILE, `${JSON.stringify(concurrencyFile(run), null, 2)}\n`);
    const previous = existsSync(REPORT_FILE) ? readFileSync(REPORT_FILE, 'utf8') : '# Benchmarks\n';
    writeFileSync(REPORT_FILE, (await drawCharts(replaceSection(previous, TUNE_SECTION, tuneSection(run)), REPO_ROOT)).document);
    log(`knees: ${sweeps.map((s) => `${s.spec.command} ${s.knee}`).join(', ')}`);
    log(`wrote ${CONFIG_FILE} and ${REPORT_FILE} in ${Math.round(run.elapsedS)} s`);
  } finally {
    removeTempDir(dataDir);
  }
}

async function makeSources(): Promise<Sources> {
  const photo = await realisticJpeg(SOURCE);
  const dir = makeTempDir('fopflow-tune-clip-');
  try {
    const path = join(dir, CLIP_KEY);
    await makeTestClip(TUNE_CLIP, path);
    const clip = readFileSync(path);
    log(`sources: photo ${photo.length} bytes, clip ${clip.length} bytes`);
    return { photo, clip };
  } finally {
    removeTempDir(dir);
  }
}

/** Uploads the photo, the clip and every pool of copies, once for the whole run. */
async function seed(baseUrl: string, sources: Sources): Promise<void> {
  const uploads: { key: string; body: Buffer; mime: string }[] = [
    { key: PHOTO_KEY, body: sources.photo, mime: 'image/jpeg' },
    { key: CLIP_KEY, body: sources.clip, mime: 'video/mp4' },
  ];
  for (const { of, copies } of poolsToSeed()) {
    const body = of === 'photo' ? sources.photo : sources.clip;
    for (let index = 0; index < copies; index++) uploads.push({ key: poolKey(of, index), body, mime: of === 'photo' ? 'image/jpeg' : 'video/mp4' });
  }
  await forEachInParallel(uploads, PARALLEL_UPLOADS, ({ key, body, mime }) => uploadObject(baseUrl, BUCKET, key, body, mime));
  log(`uploaded ${uploads.length} objects`);
}

/**
 * One command at every level, each cell on a fresh platform whose one worker runs only it, n at a
 * time: up the levels, then down again; each n keeps the faster of its two cells.
 */
async function sweep(spec: TunedCommand, dataDir: string, imageThreads?: number): Promise<CommandSweep> {
  const cells = new Map<number, MeasuredCell[]>();
  for (const concurrency of [...spec.levels, ...[...spec.levels].reverse()]) {
    cells.set(concurrency, [...(cells.get(concurrency) ?? []), await measureCell(spec, concurrency, dataDir, imageThreads)]);
  }
  const points = spec.levels.map((concurrency) => {
    const [kept, otherPass] = [...(cells.get(concurrency) ?? [])].sort((a, b) => b.result.opsPerSecond - a.result.opsPerSecond);
    return { concurrency, cell: kept, otherPass };
  });
  return { spec, points, knee: pickKnee(sweepPoints(points)) };
}

async function measureCell(spec: TunedCommand, concurrency: number, dataDir: string, imageThreads?: number): Promise<MeasuredCell> {
  const env = {
    FOPFLOW_WORKER_COMMANDS: spec.command,
    FOPFLOW_CONCURRENCY: String(concurrency),
    ...(imageThreads !== undefined && { FOPFLOW_IMAGE_THREADS: String(imageThreads) }),
  };
  return withPlatform({ dataDir, env }, async (platform) => {
    const logged = loggedConcurrency(platform.worker, spec.command);
    if (logged !== String(concurrency)) throw new Error(`the worker runs ${spec.command} ×${logged}, not ×${concurrency}`);
    const threads = loggedImageThreads(platform.worker.output());
    if (imageThreads !== undefined && threads !== String(imageThreads)) throw new Error(`the worker gives an image ${threads} libvips threads, not ${imageThreads}`);
    const urls = spec.urls((key) => `${platform.url}/${BUCKET}/${key}`);
    const [measured] = await measureLevels({
      path: `${spec.command} n=${concurrency}${imageThreads === undefined ? '' : ` threads=${imageThreads}`}`,
      levels: [IN_FLIGHT_PER_SLOT * concurrency],
      plan: spec.plan,
      warmupOps: spec.pool?.warmupOps,
      operationFor: (agent) => fopRequest(() => urls.next(), agent, 'MISS'),
      jobTotals: () => completedJobTotals(platform.url, spec.command),
      log,
    });
    return measured;
  });
}

/** libvips threads per image as the worker logged them (`libvips threads per image: 2`). */
function loggedImageThreads(output: string): string {
  return /libvips threads per image: (\d+)/.exec(output)?.[1] ?? 'unknown (not in the worker log)';
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  // The exit hook of support/cleanup stops whatever is still running.
  process.exit(1);
});
