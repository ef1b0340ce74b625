import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { argumentDifference, fopflowAvthumbArgs } from './avthumb.ffmpeg';
import { AVTHUMB_FOP, AVTHUMB_LEVELS, AVTHUMB_PLAN, AvthumbPath, AvthumbRun, BOX, CLIP, UNCACHED_AUDIO_KBPS } from './avthumb.plan';
import { avthumbSection } from './avthumb.report';
import type { Benchmark, ProgressLog } from './benchmark';
import { measureAlternating, warmUpOps } from './support/cells';
import { watchChildCommands } from './support/child-commands';
import { makeTempDir, removeTempDir, runTracked } from './support/cleanup';
import { distinctUrls } from './support/distinct-urls';
import { fetchFopOnce, fopRequest, uploadObject } from './support/fop-client';
import { completedJobTotals } from './support/job-metrics';
import type { Operation } from './support/load';
import { loggedConcurrency, withPlatform } from './support/platform';
import { ClipStreams, makeTestClip, probeStreams } from './support/source-clip';

const BUCKET = 'bench';
const KEY = 'clip-1080p.mp4';

/** A generated clip, where it lies and what it holds. */
interface Clip {
  path: string;
  bytes: Buffer;
  streams: ClipStreams;
  /** Scratch dir of (a)'s outputs. */
  dir: string;
}

export const avthumbBenchmark: Benchmark = {
  name: 'avthumb',
  async run(log: ProgressLog): Promise<string> {
    const dir = makeTempDir('fopflow-bench-avthumb-');
    try {
      const path = join(dir, 'clip.mp4');
      await makeTestClip(CLIP, path);
      const clip: Clip = { path, bytes: readFileSync(path), streams: await probeStreams(path), dir };
      log(`source: ${CLIP.width}x${CLIP.height} ${CLIP.durationS} s, ${clip.bytes.length} bytes`);
      return avthumbSection(await measure(clip, log));
    } finally {
      removeTempDir(dir);
    }
  },
};

/**
 * The platform comes up first so that (a)'s arguments are checked against the worker's before
 * anything is measured; it sits idle while (a) runs.
 */
async function measure(clip: Clip, log: ProgressLog): Promise<AvthumbRun> {
  return withPlatform({}, async (platform) => {
    await uploadObject(platform.url, BUCKET, KEY, clip.bytes, 'video/mp4');
    const workerConcurrency = loggedConcurrency(platform.worker, 'avthumb');
    const objectUrl = `${platform.url}/${BUCKET}/${KEY}`;

    // The exact fop once, untimed: it warms the worker and shows which ffmpeg it runs.
    const replica = fopflowAvthumbArgs('<input>', '<output>', clip.streams, BOX);
    const watch = watchChildCommands('ffmpeg');
    const resultBytes = await fetchFopOnce(`${objectUrl}?${AVTHUMB_FOP}`, 'MISS');
    // The worker also asks its ffmpeg for the encoder list once; the transcode is the run with an input.
    const transcode = watch.stop().find((args) => args.includes('-i'));
    const difference = transcode && argumentDifference(replica, transcode);
    if (difference) throw new Error(`(a) would not run the ffmpeg command Fopflow runs: ${difference}`);
    log(`worker runs avthumb ×${workerConcurrency}; its ffmpeg arguments ${transcode ? 'match (a)' : 'were not seen (not verified)'}`);

    let outputs = 0;
    const direct: Operation = async () => {
      const output = join(clip.dir, `direct-${outputs++}.mp4`);
      try {
        await runTracked('ffmpeg', 'ffmpeg', fopflowAvthumbArgs(clip.path, output, clip.streams, BOX), { cwd: clip.dir });
      } finally {
        rmSync(output, { force: true });
      }
    };
    await warmUpOps(direct, 1, 1);
    const urls = distinctUrls('avthumb', { kbps: UNCACHED_AUDIO_KBPS }, ({ kbps }) => `${objectUrl}?${AVTHUMB_FOP}/ab/${kbps}k`);
    const cells = await measureAlternating<AvthumbPath>(AVTHUMB_LEVELS, [
      { path: 'direct ffmpeg', plan: AVTHUMB_PLAN, operationFor: () => direct, log },
      {
        path: 'gateway, uncached',
        plan: AVTHUMB_PLAN,
        operationFor: (agent) => fopRequest(() => urls.next(), agent, 'MISS'),
        jobTotals: () => completedJobTotals(platform.url, 'avthumb'),
        log,
      },
    ]);
    return {
      cells,
      sourceBytes: clip.bytes.length,
      resultBytes,
      workerConcurrency,
      directArgs: replica,
      argsVerified: transcode !== undefined,
    };
  });
}
