import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { VframeArgs } from '@fopflow/fop';
import type { AvOpEnvironment, AvOutput, AvStepContext } from './av-step.types';
import { rotateFilter } from './av-video.filters';
import { runFfmpeg } from './ffmpeg.runner';
import { MediaError } from './media.errors';
import { onFileRun } from './step-run';

/** How a frame is written as an image, per format (vframe, vsample). */
export const frameOutputs = {
  jpg: { options: ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p'], extension: 'jpg', mime: 'image/jpeg' },
  png: { options: ['-c:v', 'png', '-pix_fmt', 'rgb24'], extension: 'png', mime: 'image/png' },
} as const;

/**
 * vframe: seek to `offset` (input-side -ss: fast, and frame-accurate since ffmpeg decodes from the
 * previous keyframe), take one upright frame, turn and size it, write it as one image.
 */
export async function runVframe(args: VframeArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  // No duration limit: a poster frame of a two-hour film decodes one GOP, not two hours.
  const source = await env.probe(inputPath, 'source', { duration: false });
  const video = source.video;
  if (!video) throw new MediaError(415, 'source has no video stream to take a frame from');
  const offsetS = args.offsetMs / 1000;
  if (source.durationS !== undefined && offsetS >= source.durationS) {
    throw new MediaError(400, `offset ${offsetS} s is at or past the end of the video (${Math.round(source.durationS * 1000) / 1000} s)`);
  }
  const filters: string[] = [];
  if (args.rotate) filters.push(rotateFilter(args.rotate));
  // One side alone keeps the picture's ratio (-1); both give exactly w×h, shown at that size.
  if (args.w !== undefined || args.h !== undefined) filters.push(`scale=${args.w ?? -1}:${args.h ?? -1}`, 'setsar=1');
  const output = frameOutputs[args.format];
  const outputPath = join(context.workDir, `vframe-${randomUUID()}.${output.extension}`);
  await runFfmpeg(
    {
      inputs: [{ path: inputPath, options: ['-ss', String(offsetS)], label: 'source' }],
      outputOptions: [
        '-map', `0:${video.index}`, '-frames:v', '1', '-an', '-sn', '-dn',
        ...(filters.length ? ['-vf', filters.join(',')] : []),
        ...output.options, '-f', 'image2', '-update', '1',
      ],
      outputPath,
      cwd: context.workDir,
    },
    { timeLimitMs: env.limits.ffmpegTimeLimitMs, signal: context.signal, onProgress: context.onProgress },
  );
  return { path: outputPath, mime: output.mime };
}

/** `vframe` as the plan executor runs it. */
export const vframeRun = onFileRun('vframe', runVframe);
