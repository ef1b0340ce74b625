import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AdaptArgs, type AdaptRendition, type AvthumbArgs, objectSetMemberKey } from '@fopflow/fop';
import type { AvOpEnvironment, AvOutput, AvStepContext, ObjectSetMember } from './av-step.types';
import type { AvVideoStream } from './ffprobe.reader';
import { hlsPlaylistMime, runHls } from './hls.op';
import { MediaError } from './media.errors';
import { onFileRun } from './step-run';
import { memberUri } from './object-set.uris';

/**
 * adapt: one HLS rendition per bandwidth, encoded one after the other (each already spreads over
 * the cores), and a master playlist at the target naming them with BANDWIDTH and RESOLUTION.
 * Rendition i's playlist is the set's member `<target>-00000i.m3u8`; its segments follow the same
 * rule from that key (`<target>-00000i-NNNNNN.ts`), relative to it, so the set plays from storage.
 */
export async function runAdapt(args: AdaptArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  const target = context.objectSetTarget;
  if (!target) throw new MediaError(400, 'adapt writes a master playlist and renditions: it needs a target (an async job with saveas)');
  const video = (await env.probe(inputPath, 'source')).video;
  if (!video) throw new MediaError(415, 'adapt needs a video stream; the source has none');
  const members: ObjectSetMember[] = [];
  const master = ['#EXTM3U', '#EXT-X-VERSION:3'];
  try {
    for (const [index, rendition] of args.renditions.entries()) {
      const key = objectSetMemberKey(target.key, index, 'm3u8');
      // Each rendition is an equal share of the step's progress.
      const onProgress = (percent: number) => context.onProgress?.(Math.min(99, Math.floor(((index + percent / 100) / args.renditions.length) * 100)));
      const output = await runHls(renditionArgs(rendition, args.segmentSeconds), inputPath, { ...context, objectSetTarget: { bucket: target.bucket, key }, onProgress }, env);
      members.push({ key, path: output.path, mime: hlsPlaylistMime }, ...(output.members ?? []));
      master.push(streamInf(rendition, video), memberUri(target, key, true));
    }
  } catch (error) {
    // Each finished rendition's files sit in a directory of their own, beside its playlist.
    const playlists = members.filter((member) => member.mime === hlsPlaylistMime);
    await Promise.all(playlists.map((member) => fs.rm(dirname(member.path), { recursive: true, force: true })));
    throw error;
  }
  const path = join(context.workDir, `adapt-${randomUUID()}.m3u8`);
  await fs.writeFile(path, `${master.join('\n')}\n`);
  context.onProgress?.(100);
  return { path, mime: hlsPlaylistMime, members };
}

/** avthumb/m3u8's arguments for one rendition, segments relative to its playlist. */
function renditionArgs(rendition: AdaptRendition, segmentSeconds: number): AvthumbArgs {
  return {
    format: 'm3u8',
    ...(rendition.audioBitrateBps !== undefined && { audioBitrateBps: rendition.audioBitrateBps }),
    ...(rendition.videoBitrateBps !== undefined && { videoBitrateBps: rendition.videoBitrateBps }),
    ...(rendition.size && { size: rendition.size }),
    hls: { segmentSeconds, noDomain: true },
  };
}

/** The master playlist's line for a rendition; without a size, the source's with even sides (as encoded). */
function streamInf(rendition: AdaptRendition, video: AvVideoStream): string {
  const width = rendition.size?.width ?? video.width - (video.width % 2);
  const height = rendition.size?.height ?? video.height - (video.height % 2);
  return `#EXT-X-STREAM-INF:BANDWIDTH=${rendition.bandwidthBps},RESOLUTION=${width}x${height}`;
}

export const adaptRun = onFileRun('adapt', runAdapt);
