import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AdaptArgs, type AdaptRendition, type AvthumbArgs, type RenditionProgress, objectSetMemberKey } from '@fopflow/fop';
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
  const progress = new RenditionsProgress(
    args.renditions.map((rendition, index) => ({
      key: objectSetMemberKey(target.key, index, 'm3u8'),
      bandwidth: rendition.bandwidthBps,
      resolution: resolutionOf(rendition, video),
      progress: 0,
    })),
    context.onProgress,
  );
  try {
    for (const [index, rendition] of args.renditions.entries()) {
      const { key, bandwidth, resolution } = progress.renditions[index];
      const onProgress = (percent: number) => progress.report(index, percent);
      const output = await runHls(renditionArgs(rendition, args.segmentSeconds), inputPath, { ...context, objectSetTarget: { bucket: target.bucket, key }, onProgress }, env);
      members.push({ key, path: output.path, mime: hlsPlaylistMime }, ...(output.members ?? []));
      master.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=${resolution}`, memberUri(target, key, true));
    }
  } catch (error) {
    // Each finished rendition's files sit in a directory of their own, beside its playlist.
    const playlists = members.filter((member) => member.mime === hlsPlaylistMime);
    await Promise.all(playlists.map((member) => fs.rm(dirname(member.path), { recursive: true, force: true })));
    throw error;
  }
  const path = join(context.workDir, `adapt-${randomUUID()}.m3u8`);
  await fs.writeFile(path, `${master.join('\n')}\n`);
  progress.finished();
  return { path, mime: hlsPlaylistMime, members };
}

/**
 * Each rendition's own progress, and the step's: renditions are encoded one after the other, each
 * an equal share of the step. Every report carries all renditions, so the reader needs no history.
 */
class RenditionsProgress {
  constructor(
    readonly renditions: RenditionProgress[],
    private readonly onProgress: AvStepContext['onProgress'],
  ) {}

  report(index: number, percent: number): void {
    this.renditions[index].progress = percent;
    const done = this.renditions.reduce((sum, rendition) => sum + rendition.progress, 0);
    // 100 for the step only once the master playlist is written too.
    this.onProgress?.(Math.min(99, Math.floor(done / this.renditions.length)), this.detail());
  }

  finished(): void {
    this.onProgress?.(100, this.detail());
  }

  private detail() {
    return { renditions: this.renditions.map((rendition) => ({ ...rendition })) };
  }
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

/** A rendition's frame size; without one, the source's with even sides (as encoded). */
function resolutionOf(rendition: AdaptRendition, video: AvVideoStream): string {
  const width = rendition.size?.width ?? video.width - (video.width % 2);
  const height = rendition.size?.height ?? video.height - (video.height % 2);
  return `${width}x${height}`;
}

export const adaptRun = onFileRun('adapt', runAdapt);
