import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, ProgressLog } from './benchmark';
import { HLS_CLIP, HLS_FOP, HLS_KEY, HlsRun, hlsRounds } from './hls.plan';
import { hlsSection } from './hls.report';
import { watchChildCommands } from './support/child-commands';
import { makeTempDir, removeTempDir, runTracked } from './support/cleanup';
import { loggedConcurrency, withPlatform } from './support/platform';
import { keysEnv, SignedClient } from './support/signed-client';
import { makeTestClip } from './support/source-clip';

const BUCKET = 'bench';
const KEY = 'clip.mp4';
/** How often the bench asks whether a job has ended, in ms: small next to a transcode's seconds. */
const STATUS_POLL_MS = 100;

/**
 * avthumb/m3u8 as an async job against the same ffmpeg command run directly. The worker's own
 * argument list is read from /proc during an untimed first job and replayed with local paths, so
 * (a) runs exactly what (b) runs; rounds alternate the two paths so a disturbance hits both.
 */
export const hlsBenchmark: Benchmark = {
  name: 'hls',
  async run(log: ProgressLog): Promise<string> {
    const dir = makeTempDir('fopflow-bench-hls-');
    try {
      const clip = join(dir, 'clip.mp4');
      await makeTestClip(HLS_CLIP, clip);
      log(`source: ${HLS_CLIP.width}x${HLS_CLIP.height} ${HLS_CLIP.durationS} s`);
      return hlsSection(await measure(clip, dir, log));
    } finally {
      removeTempDir(dir);
    }
  },
};

async function measure(clip: string, dir: string, log: ProgressLog): Promise<HlsRun> {
  return withPlatform({ env: { FOPFLOW_KEYS: keysEnv(HLS_KEY) } }, async (platform) => {
    const client = new SignedClient(platform.url, HLS_KEY);
    await client.upload(BUCKET, KEY, readFileSync(clip), 'video/mp4');
    const workerConcurrency = loggedConcurrency(platform.worker, 'avthumb');
    let jobs = 0;
    const job = async () => {
      const target = Buffer.from(`${BUCKET}:hls/${jobs++}.m3u8`).toString('base64url');
      const { id } = await client.call<{ id: string }>('POST', '/v1/jobs', { source: { bucket: BUCKET, key: KEY }, fops: [`${HLS_FOP}|saveas/${target}`], force: true });
      for (;;) {
        const status = await client.call<{ code: number; items: { error?: string }[] }>('GET', `/v1/jobs/${id}`);
        if (status.code === 0) return;
        if (status.code === 3) throw new Error(`job ${id} failed: ${status.items[0]?.error}`);
        await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
      }
    };

    const watch = watchChildCommands('ffmpeg');
    await job();
    const workerArgs = watch.stop().find((args) => args.includes('hls'));
    if (!workerArgs) throw new Error("the worker's HLS ffmpeg was not seen in /proc; nothing to compare with");
    const directArgs = localArgs(workerArgs, clip, join(dir, 'direct'));
    log(`worker runs avthumb ×${workerConcurrency}; replaying its ffmpeg arguments directly`);

    const direct = async () => {
      const out = join(dir, 'direct');
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      await runTracked('ffmpeg', 'ffmpeg', directArgs, { cwd: dir });
    };
    const timings: HlsRun['timings'] = { 'direct ffmpeg': [], 'async job (POST /v1/jobs)': [] };
    for (let round = 0; round < hlsRounds(); round++) {
      for (const [path, work] of [['direct ffmpeg', direct], ['async job (POST /v1/jobs)', job]] as const) {
        const started = performance.now();
        await work();
        timings[path].push((performance.now() - started) / 1000);
      }
      log(`round ${round + 1}/${hlsRounds()}: direct ${timings['direct ffmpeg'].at(-1)!.toFixed(2)} s, job ${timings['async job (POST /v1/jobs)'].at(-1)!.toFixed(2)} s`);
    }
    return { timings, workerConcurrency, directArgs: placeholders(directArgs, clip, join(dir, 'direct')) };
  });
}

/** The worker's arguments with its paths (input, segments, playlist) moved to `outDir`. */
function localArgs(args: readonly string[], input: string, outDir: string): string[] {
  return args.map((arg, index) => {
    if (args[index - 1] === '-i' && index === args.indexOf('-i') + 1) return input;
    if (args[index - 1] === '-hls_segment_filename') return join(outDir, 'seg-%06d.ts');
    return index === args.length - 1 ? join(outDir, 'index.m3u8') : arg;
  });
}

/** The argument list as the report shows it: local paths as placeholders. */
function placeholders(args: readonly string[], input: string, outDir: string): string[] {
  return args.map((arg) => arg.replace(input, '<input>').replace(outDir, '<out>'));
}
