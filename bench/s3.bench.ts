import type { Agent } from 'node:http';
import type { Benchmark, ProgressLog } from './benchmark';
import { COLD_COPIES, PARALLEL_UPLOADS, S3_LEVELS, S3_PLAN, S3Path, S3Run, SOURCE, THUMBNAIL, WARMUP_OPS } from './s3.plan';
import { s3Section } from './s3.report';
import { LevelsSpec, measureAlternating } from './support/cells';
import { distinctUrls } from './support/distinct-urls';
import { fopRequest, uploadObject } from './support/fop-client';
import { completedJobTotals } from './support/job-metrics';
import { forEachInParallel } from './support/parallel';
import { BenchPlatform, loggedConcurrency, startPlatform } from './support/platform';
import { startS3, TestS3 } from './support/s3-server';
import { realisticJpeg } from './support/source-image';
import { UNCACHED_VARIATION } from './thumbnail.plan';

const BUCKET = 'bench';
const WARM_KEY = 'photo.jpg';
const coldKey = (n: number) => `cold/${n}.jpg`;

/**
 * The uncached thumbnail with sources on S3 (s3rver) against the same on local disk, both
 * platforms up at once and measured alternately: warm (every request a new fop of one object,
 * whose source the worker has cached) and cold (every request a new object, fetched from the
 * storage first).
 */
export const s3Benchmark: Benchmark = {
  name: 's3',
  async run(log: ProgressLog): Promise<string> {
    const source = await realisticJpeg(SOURCE);
    log(`source: ${SOURCE.width}x${SOURCE.height} JPEG, ${source.length} bytes; ${COLD_COPIES} copies on each storage`);
    const s3 = await startS3();
    const platforms: BenchPlatform[] = [];
    try {
      const local = await startPlatform({});
      platforms.push(local);
      const remote = await startPlatform({ env: s3.env });
      platforms.push(remote);
      for (const platform of platforms) await uploadSources(platform, source);
      log(`sources uploaded; worker runs imageView2 ×${loggedConcurrency(local.worker, 'imageView2')}`);
      const cells = await measureAlternating<S3Path>(S3_LEVELS, [
        warmPath('local disk, warm source', local, log),
        warmPath('S3, warm source', remote, log),
        coldPath('local disk, cold source', local, log),
        coldPath('S3, cold source', remote, log),
      ]);
      const run: S3Run = { cells, sourceBytes: source.length, workerConcurrency: loggedConcurrency(local.worker, 'imageView2') };
      return s3Section(run, describeS3(s3));
    } finally {
      for (const platform of platforms) await platform.stop();
      await s3.stop();
    }
  },
};

async function uploadSources(platform: BenchPlatform, source: Buffer): Promise<void> {
  const keys = [WARM_KEY, ...Array.from({ length: COLD_COPIES }, (_, n) => coldKey(n))];
  await forEachInParallel(keys, PARALLEL_UPLOADS, (key) => uploadObject(platform.url, BUCKET, key, source, 'image/jpeg'));
}

const thumbnailFop = (q: number | string, w: number | string, h: number | string) => `imageView2/1/w/${w}/h/${h}/q/${q}`;

/** New fops of one object: after its first fetch the source comes from the worker's cache. */
function warmPath(path: S3Path, platform: BenchPlatform, log: ProgressLog): Omit<LevelsSpec<S3Path>, 'levels'> {
  const urls = distinctUrls(path, UNCACHED_VARIATION, ({ qualities, widths, heights }) => `${platform.url}/${BUCKET}/${WARM_KEY}?${thumbnailFop(qualities, widths, heights)}`);
  return cell(path, platform, () => urls.next(), log);
}

/** One new object per request: the worker fetches every source from the storage. */
function coldPath(path: S3Path, platform: BenchPlatform, log: ProgressLog): Omit<LevelsSpec<S3Path>, 'levels'> {
  let next = 0;
  const fop = thumbnailFop(THUMBNAIL.quality, THUMBNAIL.width, THUMBNAIL.height);
  return cell(
    path,
    platform,
    () => {
      if (next >= COLD_COPIES) throw new Error(`${path}: all ${COLD_COPIES} fresh objects used; raise COLD_COPIES`);
      return `${platform.url}/${BUCKET}/${coldKey(next++)}?${fop}`;
    },
    log,
  );
}

function cell(path: S3Path, platform: BenchPlatform, nextUrl: () => string, log: ProgressLog): Omit<LevelsSpec<S3Path>, 'levels'> {
  return {
    path,
    plan: S3_PLAN,
    warmupOps: WARMUP_OPS,
    operationFor: (agent: Agent) => fopRequest(nextUrl, agent, 'MISS'),
    jobTotals: () => completedJobTotals(platform.url, 'imageView2'),
    log,
  };
}

function describeS3(s3: TestS3): string {
  return process.env.FOPFLOW_TEST_S3_ENDPOINT ? `the S3 at ${s3.endpoint}` : 's3rver 3.7 (the npm package, in a process of its own on 127.0.0.1)';
}
