import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { type VsampleArgs, maxObjectSetMembers, objectSetMemberKey } from '@fopflow/fop';
import type { AvOpEnvironment, AvOutput, AvStepContext, ObjectSetMember } from './av-step.types';
import { rotateFilter } from './av-video.filters';
import { runFfmpeg } from './ffmpeg.runner';
import { MediaError } from './media.errors';
import { onFileRun } from './step-run';
import { frameOutputs } from './vframe.op';

/** What vsample stores at its target: the index of the images it wrote. */
export interface VsampleIndex {
  format: string;
  /** Keys of the images in the order taken, in the target's bucket. */
  keys: string[];
  /** Snapshots taken (with tile, more than keys). */
  snapshots: number;
  /** Time between two snapshots, in ms. */
  intervalMs: number;
  /** Sprite layout when `tile` was given: each image holds columns×rows snapshots. */
  tile?: { columns: number; rows: number; snapshotWidth: number; snapshotHeight: number };
}

/**
 * vsample: one ffmpeg run taking a snapshot every interval (the fps filter picks the frame
 * nearest each instant) from ss for t, upright, turned, sized and, with tile, laid out as sprite
 * sheets. The images are the set's members; a JSON index (VsampleIndex) is its primary object.
 */
export async function runVsample(args: VsampleArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  const target = context.objectSetTarget;
  if (!target) throw new MediaError(400, 'vsample writes a series of images: it needs a target (an async job with saveas)');
  const source = await env.probe(inputPath, 'source');
  const video = source.video;
  if (!video) throw new MediaError(415, 'source has no video stream to sample');
  const startS = (args.startMs ?? 0) / 1000;
  if (source.durationS === undefined) throw new MediaError(415, 'the source does not say how long it is; vsample needs its duration');
  if (startS >= source.durationS) throw new MediaError(400, `ss ${startS} s is at or past the end of the video (${round(source.durationS)} s)`);
  const spanS = Math.min(source.durationS - startS, args.durationMs === undefined ? Infinity : args.durationMs / 1000);
  const intervalS = args.frames !== undefined ? spanS / args.frames : args.intervalMs! / 1000;
  const snapshots = args.frames ?? Math.ceil(spanS / intervalS - 1e-9);
  if (snapshots > maxObjectSetMembers) {
    throw new MediaError(413, `${snapshots} snapshots (${round(spanS)} s every ${intervalS} s), over ${maxObjectSetMembers}; use a longer interval`);
  }

  const filters = [`fps=1/${intervalS}`];
  if (args.rotate) filters.push(rotateFilter(args.rotate));
  if (args.width !== undefined || args.height !== undefined) filters.push(`scale=${args.width ?? -2}:${args.height ?? -2}`, 'setsar=1');
  if (args.tile) filters.push(`tile=${args.tile.columns}x${args.tile.rows}`);
  const output = frameOutputs[args.format];
  const dir = join(context.workDir, `vsample-${randomUUID()}`);
  await fs.mkdir(dir);
  try {
    const series = join(dir, `img-%06d.${output.extension}`);
    await runFfmpeg(
      {
        inputs: [{ path: inputPath, options: [...(startS > 0 ? ['-ss', String(startS)] : []), '-t', String(spanS)], label: 'source' }],
        outputOptions: [
          '-map', `0:${video.index}`, '-an', '-sn', '-dn', '-vf', filters.join(','),
          '-frames:v', String(args.tile ? Math.ceil(snapshots / (args.tile.columns * args.tile.rows)) : snapshots),
          ...output.options, '-f', 'image2', '-start_number', '0',
        ],
        outputPath: series,
        series: true,
        cwd: context.workDir,
        expectedDurationS: spanS,
      },
      { timeLimitMs: env.limits.ffmpegTimeLimitMs, signal: context.signal, onProgress: context.onProgress },
    );
    const files = (await fs.readdir(dir)).filter((name) => name.startsWith('img-')).sort();
    const members: ObjectSetMember[] = files.map((name, index) => ({
      key: objectSetMemberKey(target.key, index, output.extension, args.pattern),
      path: join(dir, name),
      mime: output.mime,
    }));
    const index: VsampleIndex = {
      format: args.format,
      keys: members.map((member) => member.key),
      snapshots,
      intervalMs: Math.round(intervalS * 1000),
      ...(args.tile && { tile: { ...args.tile, ...(await snapshotSize(members[0].path, args.tile)) } }),
    };
    const path = join(dir, 'index.json');
    await fs.writeFile(path, JSON.stringify(index));
    return { path, mime: 'application/json', members };
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One snapshot's size in a sprite sheet: the sheet's size over the layout. */
async function snapshotSize(sheet: string, tile: { columns: number; rows: number }): Promise<{ snapshotWidth: number; snapshotHeight: number }> {
  const { width = 0, height = 0 } = await sharp(sheet).metadata();
  return { snapshotWidth: width / tile.columns, snapshotHeight: height / tile.rows };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export const vsampleRun = onFileRun('vsample', runVsample);
