import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  type AvthumbArgs,
  avthumbFormatRules,
  avWatermarkDefaultFontColor,
  avWatermarkDefaultFontSizePx,
  avWatermarkDefaultGravity,
  isAudioOnly,
  isOutsideUrl,
  type MarkSource,
} from '@fopflow/fop';
import { audioEncoderOptions, containerOutput, muxerOptions, videoEncoderOptions } from './av-output.formats';
import type { AvOpEnvironment, AvOutput, AvStepContext } from './av-step.types';
import { evenSizeFilter, rotateFilter, textPosition } from './av-video.filters';
import { deinterlaceFilter, encoderTuningOptions, imageMarkChains, padFilters, sizeFilters, subtitleFilter } from './avthumb-picture.filters';
import { type FfmpegInput, type FfmpegRun, runFfmpeg } from './ffmpeg.runner';
import type { AvProbe } from './ffprobe.reader';
import { subtitleAsAss } from './subtitle.source';
import { MediaError } from './media.errors';

/**
 * avthumb: one ffmpeg run. Order of the picture work: upright (ffmpeg's autorotate), `rotate`,
 * scale to `s`, even sides, then the watermarks on the final frame so they keep their pixel size.
 * `avthumb/m3u8` is the same encode written as HLS (hls.op.ts).
 */
export async function runAvthumb(args: AvthumbArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  const format = args.format;
  if (format === 'm3u8') throw new Error('avthumb/m3u8 is written by runHls');
  const plan = await planAvthumbEncode(args, inputPath, context, env);
  const output = containerOutput(format);
  const outputPath = join(context.workDir, `avthumb-${randomUUID()}.${output.extension}`);
  await runFfmpeg(
    { ...plan.run, outputOptions: [...plan.run.outputOptions, ...muxerOptions(format)], outputPath, cwd: context.workDir },
    { timeLimitMs: env.limits.ffmpegTimeLimitMs, signal: context.signal, onProgress: context.onProgress },
  );
  return { path: outputPath, mime: plan.withVideo ? output.mime : (output.audioOnlyMime ?? output.mime) };
}

/** An avthumb encode before its muxer: inputs, stream options and what progress expects. */
export interface AvthumbEncodePlan {
  run: Pick<FfmpegRun, 'inputs' | 'outputOptions' | 'expectedDurationS' | 'scratchFiles'>;
  withVideo: boolean;
}

/** Probes the source and builds avthumb's encode; the caller adds the muxer and runs it. */
export async function planAvthumbEncode(args: AvthumbArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvthumbEncodePlan> {
  const source = await env.probe(inputPath, 'source');
  const rules = avthumbFormatRules(args.format);
  const audioOnly = isAudioOnly(args.format);
  const wantVideo = !audioOnly && !args.noVideo && source.video !== undefined;
  const wantAudio = !args.noAudio && source.audio !== undefined;
  checkStreams(args, source, wantVideo, wantAudio);
  const videoCodec = args.videoCodec ?? rules.defaultVideoCodec;
  const audioCodec = args.audioCodec ?? rules.defaultAudioCodec;
  await env.requireEncoders([
    ...(wantVideo && videoCodec && videoCodec !== 'copy' ? [videoCodec] : []),
    ...(wantAudio && audioCodec !== 'copy' ? [audioCodec] : []),
  ]);

  const startS = (args.startMs ?? 0) / 1000;
  if (source.durationS !== undefined && startS >= source.durationS) {
    throw new MediaError(400, `ss ${startS} s is at or past the end of the source (${round(source.durationS)} s)`);
  }
  const inputOptions = [
    ...(args.startMs ? ['-ss', String(startS)] : []),
    ...(args.durationMs !== undefined ? ['-t', String(args.durationMs / 1000)] : []),
  ];
  const inputs: FfmpegInput[] = [{ path: inputPath, options: inputOptions, label: 'source' }];
  const scratchFiles: string[] = [];
  const options: string[] = [];

  if (wantVideo && videoCodec) {
    try {
      options.push(...(await videoOptions(args, source, videoCodec, inputs, scratchFiles, context, env)));
    } catch (error) {
      // A watermark's text file may exist already, and runFfmpeg has not taken charge of it yet.
      await Promise.all(scratchFiles.map((file) => fs.rm(file, { force: true })));
      throw error;
    }
  }
  if (wantAudio) {
    const audio = source.audio!;
    options.push('-map', `0:${audio.index}`);
    if (audioCodec === 'copy') {
      options.push('-c:a', 'copy');
    } else {
      options.push(...audioEncoderOptions(audioCodec));
      // Qiniu: a bitrate above the source's is lowered to the source's; more bits add nothing.
      const bitrate = capped(args.audioBitrateBps, audio.bitRateBps);
      if (bitrate !== undefined) options.push('-b:a', String(bitrate));
      if (args.audioQuality !== undefined) options.push('-q:a', String(args.audioQuality));
      if (args.sampleRateHz !== undefined) options.push('-ar', String(args.sampleRateHz));
      if (args.channels !== undefined) options.push('-ac', String(args.channels));
    }
  }
  if (args.stripMetadata) options.push('-map_metadata', '-1', '-map_chapters', '-1');
  const expectedDurationS = outputDuration(source.durationS, startS, args.durationMs);
  return { run: { inputs, outputOptions: options, expectedDurationS, scratchFiles }, withVideo: wantVideo };
}

/** Map, filters and encoder of the video stream; adds the watermark image as input 1 if any. */
async function videoOptions(
  args: AvthumbArgs,
  source: AvProbe,
  videoCodec: NonNullable<AvthumbArgs['videoCodec']>,
  inputs: FfmpegInput[],
  scratchFiles: string[],
  context: AvStepContext,
  env: AvOpEnvironment,
): Promise<string[]> {
  const video = source.video!;
  const aspect = args.aspect ? ['-aspect', `${args.aspect.width}:${args.aspect.height}`] : [];
  if (videoCodec === 'copy') return ['-map', `0:${video.index}`, '-c:v', 'copy', ...aspect];
  const graph = await videoGraph(args, video.index, inputs, scratchFiles, context, env);
  const encoder = videoEncoderOptions(videoCodec, args.format, args.videoBitrateBps !== undefined);
  const options = ['-filter_complex', graph, '-map', '[vout]', ...encoder, ...encoderTuningOptions(args)];
  const bitrate = capped(args.videoBitrateBps, video.bitRateBps);
  if (bitrate !== undefined) options.push('-b:v', String(bitrate));
  if (args.frameRate !== undefined) options.push('-r', String(args.frameRate));
  return [...options, ...aspect];
}

function checkStreams(args: AvthumbArgs, source: AvProbe, wantVideo: boolean, wantAudio: boolean): void {
  if (isAudioOnly(args.format) && !source.audio) {
    throw new MediaError(415, `source has no audio stream to write as ${args.format}`);
  }
  const videoSetting = videoSettingOf(args);
  if (!source.video && videoSetting) throw new MediaError(415, `${videoSetting} needs a video stream; the source has none`);
  if (!wantVideo && !wantAudio) {
    const left = source.video ? 'video only and vn/1 drops it' : 'audio only and an/1 drops it';
    throw new MediaError(415, `nothing to write: the source has ${left}`);
  }
}

function videoSettingOf(args: AvthumbArgs): string | undefined {
  const settings: [unknown, string][] = [
    [args.size, "parameter 's'"], [args.frameRate, "parameter 'r'"], [args.videoBitrateBps, "parameter 'vb'"],
    [args.videoCodec, "parameter 'vcodec'"], [args.rotate, "parameter 'rotate'"], [args.aspect, "parameter 'aspect'"],
    [args.watermarkImage, "parameter 'wmImage'"], [args.watermarkText, "parameter 'wmText'"],
    [args.crf, "parameter 'crf'"], [args.h264Profile, "parameter 'h264Profile'"], [args.h264Level, "parameter 'h264Level'"],
    [args.maxrateBps, "parameter 'maxrate'"], [args.gopFrames, "parameter 'gop'"], [args.pad, "parameter 'padW'"],
    [args.deinterlace, "parameter 'deinterlace'"], [args.subtitle, "parameter 'subtitle'"],
  ];
  return settings.find(([value]) => value !== undefined)?.[1];
}

/** A local file of the mark: a stored object's, or an outside URL's body fetched through the outbound guard. */
function markPath(source: MarkSource, context: AvStepContext): Promise<string> {
  if (!isOutsideUrl(source)) return context.objectPath(source.bucket, source.key);
  if (!context.urlPath) throw new Error('wmImage at an outside URL needs AvStepContext.urlPath');
  return context.urlPath(source.url);
}

/** The filter graph from input 0's video to `[vout]`, adding the watermark image as input 1. */
async function videoGraph(
  args: AvthumbArgs,
  streamIndex: number,
  inputs: FfmpegInput[],
  scratchFiles: string[],
  context: AvStepContext,
  env: AvOpEnvironment,
): Promise<string> {
  const picture: string[] = [];
  if (args.deinterlace) picture.push(deinterlaceFilter);
  if (args.rotate) picture.push(rotateFilter(args.rotate));
  // Stretching to s needs setsar=1 so players show the frame at that size (scale alone keeps the old shape).
  picture.push(...sizeFilters(args));
  picture.push(evenSizeFilter);
  if (args.pad) picture.push(...padFilters(args.pad));
  if (args.subtitle) {
    const { bucket, key } = args.subtitle;
    const path = await context.objectPath(bucket, key);
    const name = await subtitleAsAss(path, `subtitle ${bucket}/${key}`, context.workDir, env.limits.ffmpegTimeLimitMs, context.signal);
    scratchFiles.push(join(context.workDir, name));
    picture.push(subtitleFilter(name));
  }
  const chains = [`[0:${streamIndex}]${picture.join(',')}[base]`];
  let last = 'base';

  if (args.watermarkImage) {
    const source = args.watermarkImage;
    const path = await markPath(source, context);
    const mark = await env.probe(path, 'wmImage');
    if (!mark.video) throw new MediaError(415, `wmImage ${isOutsideUrl(source) ? source.url : `${source.bucket}/${source.key}`} is not an image`);
    inputs.push({ path, label: 'wmImage' });
    const gravity = args.watermarkGravity ?? avWatermarkDefaultGravity;
    chains.push(...imageMarkChains(args, gravity, `1:${mark.video.index}`, last, 'marked'));
    last = 'marked';
  }
  if (args.watermarkText !== undefined) {
    // The text goes through a file: no escaping of user text inside the filter graph can go wrong.
    const name = `wmtext-${randomUUID()}.txt`;
    const file = join(context.workDir, name);
    scratchFiles.push(file);
    await fs.writeFile(file, args.watermarkText, 'utf8');
    const colour = args.fontColor ?? avWatermarkDefaultFontColor;
    const hex = [colour.r, colour.g, colour.b, colour.a].map((n) => n.toString(16).padStart(2, '0')).join('');
    const size = args.fontSizePx ?? avWatermarkDefaultFontSizePx;
    const gravity = args.textGravity ?? avWatermarkDefaultGravity;
    chains.push(`[${last}]drawtext=textfile=${name}:expansion=none:fontcolor=0x${hex}:fontsize=${size}:${textPosition(gravity)}[texted]`);
    last = 'texted';
  }
  chains.push(`[${last}]null[vout]`);
  return chains.join(';');
}

/** The requested bitrate, lowered to the source's when that is known and lower. */
function capped(requestedBps: number | undefined, sourceBps: number | undefined): number | undefined {
  if (requestedBps === undefined) return undefined;
  return sourceBps !== undefined && sourceBps < requestedBps ? Math.round(sourceBps) : requestedBps;
}

/** Seconds of media the output will hold, for progress. */
export function outputDuration(sourceS: number | undefined, startS: number, durationMs: number | undefined): number | undefined {
  const remaining = sourceS === undefined ? undefined : Math.max(0, sourceS - startS);
  const cut = durationMs === undefined ? undefined : durationMs / 1000;
  if (remaining === undefined) return cut;
  return cut === undefined ? remaining : Math.min(remaining, cut);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** `avthumb` as the plan executor runs it. */
