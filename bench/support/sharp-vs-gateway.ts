import type { Agent } from 'node:http';
import type { ProgressLog } from '../benchmark';
import { measureAlternating, MeasuredCell, measureLevels } from './cells';
import type { DistinctUrls } from './distinct-urls';
import { fetchFopOnce, fopRequest, uploadObject } from './fop-client';
import { ipxRequest, startIpx } from './ipx';
import { completedJobTotals } from './job-metrics';
import type { LoadPlan, Operation } from './load';
import { BenchGateway, loggedConcurrency, withGateway, withPlatform } from './platform';
import { realisticJpeg, SourceImageSpec } from './source-image';

/** The ways an image benchmark makes its result, in table order (ipx and npm start's only where asked for). */
export type ImagePath = 'raw sharp' | 'ipx' | 'gateway, uncached' | 'gateway, cached' | 'npm start, uncached';

/**
 * The platform as `npm start` configures it (scripts/start.mjs): both default tiers, the pools of
 * config/pools.json run by the scaler with the process runtime. Only the per-client rate limits
 * stay lifted (the bench's tiers file): one client makes all the load.
 */
const NPM_START_ENV: Readonly<Record<string, string>> = { FOPFLOW_TIERS: 'paid,free', FOPFLOW_DEFAULT_TIER: 'paid' };

/** One cell of such a table. */
export type ImagePathCell = MeasuredCell<ImagePath>;

/** One image fop measured against the same work done by sharp alone. */
export interface SharpVsGatewaySpec {
  /** The fop's command: its worker concurrency and job times are the ones read. */
  command: string;
  /** The source image the bench makes, uploaded once and held in memory for (a). */
  source: SourceImageSpec;
  /** Operations in flight, one row each per path. */
  levels: readonly number[];
  plan: Omit<LoadPlan, 'concurrency'>;
  /** (a): the same work with sharp in this process, on the source's bytes. */
  rawSharp(source: Buffer): Promise<unknown>;
  /** (c): the fop requested again and again after one warm-up request. */
  cachedFop: string;
  /** (b): distinct fop URLs of the uploaded object, each a new result key and so a real job. */
  uncachedUrls(objectUrl: string): DistinctUrls;
  /** ipx beside raw sharp: distinct URLs of the same source, `fileName` on the ipx server at `ipxBaseUrl`. */
  ipxUrls?(ipxBaseUrl: string, fileName: string): DistinctUrls;
  /** Also (b) on the platform as `npm start` sets it up: default tiers, the scaler running the pools. */
  npmStartRow?: boolean;
  log: ProgressLog;
}

/** What the table and the reading need. */
export interface SharpVsGatewayRun {
  cells: ImagePathCell[];
  sourceBytes: number;
  /** Size of the cached result (c) serves. */
  resultBytes: number;
  /** Jobs of the command one worker runs at once, as the worker itself logged it. */
  workerConcurrency: string;
}

const BUCKET = 'bench';
const KEY = 'photo.jpg';

/**
 * (a) raw sharp, (b) the gateway uncached and (c) cached, each at every level of `spec`. (a) and
 * (b) alternate level by level, so that a change in what else the machine runs falls on both
 * alike; the platform sits idle while (a) runs.
 */
export async function measureSharpVsGateway(spec: SharpVsGatewaySpec): Promise<SharpVsGatewayRun> {
  const { log } = spec;
  const source = await realisticJpeg(spec.source);
  log(`source: ${spec.source.width}x${spec.source.height} JPEG q${spec.source.quality}, ${source.length} bytes`);
  const ipx = spec.ipxUrls ? await startIpx(KEY, source) : undefined;
  let run: SharpVsGatewayRun;
  try {
    run = await measureOnePlatform(spec, source, ipx && spec.ipxUrls!(ipx.url, KEY));
  } finally {
    await ipx?.stop();
  }
  if (!spec.npmStartRow) return run;
  const npmStart = await withGateway({ env: NPM_START_ENV }, (platform) => measureNpmStart(spec, source, platform));
  return { ...run, cells: [...run.cells, ...npmStart] };
}

/**
 * (b) on the platform `npm start` runs: the scaler starts each pool's minimum of workers and more
 * while a backlog lasts. The first request waits until a worker takes it.
 */
async function measureNpmStart(spec: SharpVsGatewaySpec, source: Buffer, platform: BenchGateway): Promise<ImagePathCell[]> {
  await platform.startApp('scaler', { FOPFLOW_RUNTIME: 'process' });
  await uploadObject(platform.url, BUCKET, KEY, source, 'image/jpeg');
  const urls = spec.uncachedUrls(`${platform.url}/${BUCKET}/${KEY}`);
  await fetchFopOnce(urls.next(), 'MISS');
  spec.log(`npm start's platform up at ${platform.url}; the scaler runs its pools`);
  return measureLevels({
    path: 'npm start, uncached',
    levels: spec.levels,
    plan: spec.plan,
    operationFor: (agent) => fopRequest(() => urls.next(), agent, 'MISS'),
    jobTotals: () => completedJobTotals(platform.url, spec.command),
    log: spec.log,
  });
}

async function measureOnePlatform(spec: SharpVsGatewaySpec, source: Buffer, ipxUrls: DistinctUrls | undefined): Promise<SharpVsGatewayRun> {
  const { plan, log } = spec;
  const rawSharp: Operation = async () => {
    await spec.rawSharp(source);
  };
  const ipxPath = ipxUrls && { path: 'ipx' as const, plan, operationFor: (agent: Agent) => ipxRequest(() => ipxUrls.next(), agent), log };
  return withPlatform({}, async (platform) => {
    await uploadObject(platform.url, BUCKET, KEY, source, 'image/jpeg');
    const workerConcurrency = loggedConcurrency(platform.worker, spec.command);
    log(`platform up at ${platform.url}; worker runs ${spec.command} ×${workerConcurrency}`);

    const objectUrl = `${platform.url}/${BUCKET}/${KEY}`;
    const urls = spec.uncachedUrls(objectUrl);
    const rawAndUncached = await measureAlternating<ImagePath>(spec.levels, [
      { path: 'raw sharp', plan, operationFor: () => rawSharp, log },
      ...(ipxPath ? [ipxPath] : []),
      {
        path: 'gateway, uncached',
        plan,
        operationFor: (agent) => fopRequest(() => urls.next(), agent, 'MISS'),
        jobTotals: () => completedJobTotals(platform.url, spec.command),
        log,
      },
    ]);

    // (c) starts from a cached result: one request makes it.
    const cachedUrl = `${objectUrl}?${spec.cachedFop}`;
    const resultBytes = await fetchFopOnce(cachedUrl);
    const cached = await measureLevels({
      path: 'gateway, cached',
      levels: spec.levels,
      plan,
      operationFor: (agent) => fopRequest(() => cachedUrl, agent, 'HIT'),
      log,
    });
    return { cells: [...rawAndUncached, ...cached], sourceBytes: source.length, resultBytes, workerConcurrency };
  });
}
