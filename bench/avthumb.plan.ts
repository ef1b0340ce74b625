import type { MeasuredCell } from './support/cells';
import { range } from './support/distinct-urls';
import type { LoadPlan } from './support/load';
import type { ClipSpec } from './support/source-clip';

/** The source: 10 s of 1080p30 video and a 440 Hz tone, H.264 + AAC in MP4. */
export const CLIP: ClipSpec = { width: 1920, height: 1080, framesPerSecond: 30, durationS: 10 };

/** The output box of the fop. */
export const BOX = { width: 640, height: 360 } as const;

/** The fop, as the gateway gets it (mp4's default codecs spelled out). */
export const AVTHUMB_FOP = `avthumb/mp4/s/${BOX.width}x${BOX.height}/vcodec/libx264/acodec/aac`;

/** Transcodes in flight at once, one row each per path. */
export const AVTHUMB_LEVELS = [1, 2] as const;

/**
 * One transcode takes seconds, so a cell is a 20 s time box (a dozen runs or so) after one
 * untimed transcode per path; 4 cells keep the whole benchmark under three minutes.
 */
export const AVTHUMB_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 0, durationMs: 20_000, maxOps: 1_000 };

/**
 * Uncached requests add `ab/<n>k` so that each is a new result key and a real job. The audio
 * bitrate is the one thing it changes (`-b:a`): the video encode, nearly all the work, stays
 * that of the fop above. Kept under the clip's own 128k so that Fopflow does not cap it.
 */
export const UNCACHED_AUDIO_KBPS = range(32, 127);

/** The two ways a transcode is run, in table order. */
export type AvthumbPath = 'direct ffmpeg' | 'gateway, uncached';

export type AvthumbCell = MeasuredCell<AvthumbPath>;

/** What the report needs besides the cells. */
export interface AvthumbRun {
  cells: AvthumbCell[];
  sourceBytes: number;
  resultBytes: number;
  /** avthumb jobs one worker runs at once, as it logged it. */
  workerConcurrency: string;
  /** The argument list of (a), paths replaced by placeholders. */
  directArgs: string[];
  /** Whether the worker's own ffmpeg arguments were read and matched (a)'s. */
  argsVerified: boolean;
}
