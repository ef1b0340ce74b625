import type { BenchKey } from './support/signed-client';
import type { ClipSpec } from './support/source-clip';

/** The source: 10 s of 720p30 and a tone (FOPFLOW_BENCH_HLS_SECONDS shortens it for a smoke run). */
export const HLS_CLIP: ClipSpec = { width: 1280, height: 720, framesPerSecond: 30, durationS: Number(process.env.FOPFLOW_BENCH_HLS_SECONDS) || 10 };

/** The fop: 4 s segments of 640×360 H.264 + AAC 96k, as a streaming site's low rendition. */
export const HLS_FOP = 'avthumb/m3u8/segtime/4/s/640x360/vb/800k/ab/96k';

/** The key jobs are submitted with. */
export const HLS_KEY: BenchKey = { accessKey: 'ak-bench-hls', secretKey: 'sk-bench-hls-secret', tier: 'paid' };

/** Timed rounds, each one run of each path (FOPFLOW_BENCH_HLS_ROUNDS, default 5). */
export function hlsRounds(): number {
  return Number(process.env.FOPFLOW_BENCH_HLS_ROUNDS) || 5;
}

/** The two ways one HLS packaging is run, in table order. */
export type HlsPath = 'direct ffmpeg' | 'async job (POST /v1/jobs)';

/** What the report needs. */
export interface HlsRun {
  /** Wall seconds of each timed run, per path. */
  timings: Record<HlsPath, number[]>;
  /** avthumb jobs one worker runs at once, as it logged it. */
  workerConcurrency: string;
  /** The ffmpeg argument list both paths ran, local paths as placeholders. */
  directArgs: string[];
}
