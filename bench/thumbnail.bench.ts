import type { Agent } from 'node:http';
// (a) is sharp with nothing of Fopflow around it, so the bench uses it directly, not through libs/media.
import sharp from 'sharp';
import type { Benchmark, ProgressLog } from './benchmark';
import { httpGet, keepAliveAgent } from './support/http-get';
import { completedJobTotals, JobTotals, meanJobMs } from './support/job-metrics';
import { timedRun, Operation, warmUp } from './support/load';
import { startPlatform } from './support/platform';
import { realisticJpeg } from './support/source-image';
import {
  CELL_PLAN,
  CONCURRENCY_LEVELS,
  SOURCE,
  THUMBNAIL,
  ThumbnailCell,
  ThumbnailPath,
  ThumbnailRun,
  UNCACHED_VARIATION,
} from './thumbnail.plan';
import { thumbnailSection } from './thumbnail.report';

const THUMBNAIL_FOP = `imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}`;
const BUCKET = 'bench';
const KEY = 'photo-12mp.jpg';

export const thumbnailBenchmark: Benchmark = {
  name: 'thumbnail',
  async run(log: ProgressLog): Promise<string> {
    const source = await realisticJpeg(SOURCE);
    log(`source: ${SOURCE.width}x${SOURCE.height} JPEG q${SOURCE.quality}, ${source.length} bytes`);
    const cells = await measureRawSharp(source, log);
    const platformRun = await measureGateway(source, log);
    return thumbnailSection({ ...platformRun, cells: [...cells, ...platformRun.cells], sourceBytes: source.length });
  },
};

/** (a): the thumbnail made in this process, with nothing around it. */
async function measureRawSharp(source: Buffer, log: ProgressLog): Promise<ThumbnailCell[]> {
  const thumbnail: Operation = async () => {
    await sharp(source).resize(THUMBNAIL.width, THUMBNAIL.height, { fit: 'cover' }).jpeg({ quality: THUMBNAIL.quality }).toBuffer();
  };
  return measureLevels('raw sharp', () => thumbnail, log);
}

/** (b) and (c): the same thumbnail as a fop URL through the built gateway, queue and one worker. */
async function measureGateway(source: Buffer, log: ProgressLog): Promise<Omit<ThumbnailRun, 'sourceBytes'>> {
  const platform = await startPlatform();
  try {
    await upload(platform.url, source);
    const workerConcurrency = /imageView2×(\d+)/.exec(platform.worker.output())?.[1] ?? 'unknown (not in the worker log)';
    log(`platform up at ${platform.url}; worker runs imageView2 ×${workerConcurrency}`);

    const objectUrl = `${platform.url}/${BUCKET}/${KEY}`;
    const nextUncachedUrl = uncachedUrls(objectUrl);
    const jobTotals = () => completedJobTotals(platform.url, 'imageView2');
    const uncached = await measureLevels('gateway, uncached', (agent) => fopRequest(nextUncachedUrl, agent, 'MISS'), log, jobTotals);

    const cachedUrl = `${objectUrl}?${THUMBNAIL_FOP}`;
    const thumbnailBytes = await warmCache(cachedUrl);
    const cached = await measureLevels('gateway, cached', (agent) => fopRequest(() => cachedUrl, agent, 'HIT'), log);
    return { cells: [...uncached, ...cached], workerConcurrency, thumbnailBytes };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- gateway ---\n${platform.gateway.output()}\n--- worker ---\n${platform.worker.output()}`);
  } finally {
    await platform.stop();
  }
}

/**
 * Measures one path at every concurrency level. `operationFor` gets an agent with one keep-alive
 * socket per slot (raw sharp ignores it); `jobTotals`, where jobs run, reads the worker's job time.
 */
async function measureLevels(
  path: ThumbnailPath,
  operationFor: (agent: Agent) => Operation,
  log: ProgressLog,
  jobTotals?: () => Promise<JobTotals>,
): Promise<ThumbnailCell[]> {
  const cells: ThumbnailCell[] = [];
  for (const concurrency of CONCURRENCY_LEVELS) {
    const agent = keepAliveAgent(concurrency);
    try {
      const cell = await measureCell(path, concurrency, operationFor(agent), jobTotals);
      log(`${path} ×${concurrency}: ${cell.result.completed} ok, ${cell.result.failed} failed, ${cell.result.opsPerSecond.toFixed(1)} req/s`);
      cells.push(cell);
    } finally {
      agent.destroy();
    }
  }
  return cells;
}

async function measureCell(
  path: ThumbnailPath,
  concurrency: number,
  operation: Operation,
  jobTotals?: () => Promise<JobTotals>,
): Promise<ThumbnailCell> {
  const plan = { ...CELL_PLAN, concurrency };
  await warmUp(operation, plan);
  // Read right around the timed run, so warm-up jobs stay out of the mean job time.
  const before = await jobTotals?.();
  const result = await timedRun(operation, plan);
  const after = await jobTotals?.();
  return { path, concurrency, result, meanJobMs: before && after ? meanJobMs(before, after) : undefined };
}

/** GETs the URL `nextUrl` gives; fails unless the answer is a 200 with the expected X-Fop-Cache. */
function fopRequest(nextUrl: () => string, agent: Agent, expectedCache: 'HIT' | 'MISS'): Operation {
  return async () => {
    const url = nextUrl();
    const answer = await httpGet(url, agent);
    if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.errorBody}`);
    // A cache hit in the uncached column, or a miss in the cached one, would measure the wrong path.
    const cache = answer.headers['x-fop-cache'];
    if (cache !== expectedCache) throw new Error(`GET ${url}: X-Fop-Cache ${String(cache)}, expected ${expectedCache}`);
  };
}

/** Distinct thumbnail URLs of `objectUrl`, one per call; throws once UNCACHED_VARIATION is spent. */
function uncachedUrls(objectUrl: string): () => string {
  const { qualities, widths, heights } = UNCACHED_VARIATION;
  const capacity = qualities.length * widths.length * heights.length;
  let index = 0;
  return () => {
    if (index >= capacity) throw new Error(`all ${capacity} distinct uncached URLs are used; widen UNCACHED_VARIATION`);
    const q = qualities[index % qualities.length];
    const w = widths[Math.floor(index / qualities.length) % widths.length];
    const h = heights[Math.floor(index / (qualities.length * widths.length)) % heights.length];
    index++;
    return `${objectUrl}?imageView2/1/w/${w}/h/${h}/q/${q}`;
  };
}

/** (c) starts from a cached result: one request makes it. Answers the thumbnail's size in bytes. */
async function warmCache(url: string): Promise<number> {
  const agent = keepAliveAgent(1);
  try {
    const answer = await httpGet(url, agent);
    if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.errorBody}`);
    return answer.bodyBytes;
  } finally {
    agent.destroy();
  }
}

async function upload(baseUrl: string, source: Buffer): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/objects/${BUCKET}/${KEY}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'image/jpeg' },
    body: source,
  });
  if (!response.ok) throw new Error(`upload of the source failed: ${response.status} ${await response.text()}`);
}
