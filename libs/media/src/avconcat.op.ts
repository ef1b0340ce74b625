import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type AvconcatArgs, avContainerRules, encoderSampleRatesHz, isAudioOnly } from '@fopflow/fop';
import { audioEncoderOptions, containerOutput, muxerOptions, videoEncoderOptions } from './av-output.formats';
import type { AvOpEnvironment, AvOutput, AvStepContext } from './av-step.types';
import { throwIfCancelled } from './av.errors';
import { type FfmpegInput, runFfmpeg } from './ffmpeg.runner';
import type { AvProbe } from './ffprobe.reader';
import { MediaError } from './media.errors';
import { onFileRun } from './step-run';
import { copyConcatRun, requireCopyConcat } from './avconcat-copy';

/** Frame rate of the joined video when the first source does not say, in frames per second. */
const fallbackFrameRate = 25;
/** Highest frame rate the joined video keeps (as avthumb's `r`). */
const maxFrameRate = 60;

/**
 * avconcat: the input, then each source, end to end, in one ffmpeg run. Mode 2 goes through the
 * concat filter: sources may differ in size, frame rate and sample rate, so each is first brought
 * to the first one's (fitted inside its frame, padded black). Mode 1 copies the streams as they
 * are (avconcat-copy.ts).
 */
export async function runAvconcat(args: AvconcatArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  const inputs: FfmpegInput[] = [{ path: inputPath, label: 'source 1' }];
  const probes: AvProbe[] = [await env.probe(inputPath, 'source 1')];
  for (const [i, { bucket, key }] of args.sources.entries()) {
    throwIfCancelled(context.signal);
    const label = `source ${i + 2}`;
    const path = await context.objectPath(bucket, key);
    inputs.push({ path, label });
    probes.push(await env.probe(path, label));
  }
  const [first] = probes;
  const withVideo = !isAudioOnly(args.format) && first.video !== undefined;
  const withAudio = first.audio !== undefined;
  if (!withVideo && !withAudio) throw new MediaError(415, `source 1 has no audio stream to write as ${args.format}`);
  probes.forEach((probe, i) => {
    const missing = withVideo && !probe.video ? 'video' : withAudio && !probe.audio ? 'audio' : undefined;
    if (missing) throw new MediaError(415, `source ${i + 1} has no ${missing} stream; every source needs the streams the first one has`);
  });
  const totalS = probes.reduce((sum, probe) => sum + (probe.durationS ?? 0), 0);
  if (totalS > env.limits.maxDurationS) {
    throw new MediaError(413, `joined length ${Math.round(totalS)} s is over maxDurationS ${env.limits.maxDurationS}`);
  }

  const output = containerOutput(args.format);
  const outputPath = join(context.workDir, `avconcat-${randomUUID()}.${output.extension}`);
  const mime = withVideo ? output.mime : (output.audioOnlyMime ?? output.mime);
  const control = { timeLimitMs: env.limits.ffmpegTimeLimitMs, signal: context.signal, onProgress: context.onProgress };
  if (args.mode === 1) {
    requireCopyConcat(probes, args.format, withVideo, withAudio);
    const run = await copyConcatRun(inputs.map((input) => input.path), context.workDir, withVideo, withAudio);
    const outputOptions = [...run.outputOptions, ...muxerOptions(args.format)];
    await runFfmpeg({ ...run, outputOptions, outputPath, cwd: context.workDir, expectedDurationS: totalS || undefined }, control);
    return { path: outputPath, mime };
  }

  const rules = avContainerRules[args.format];
  const videoCodec = rules.defaultVideoCodec;
  const audioCodec = rules.defaultAudioCodec;
  await env.requireEncoders([...(withVideo && videoCodec ? [videoCodec] : []), ...(withAudio ? [audioCodec] : [])]);

  const segments: string[] = [];
  const chains: string[] = [];
  probes.forEach((probe, i) => {
    if (withVideo) {
      const { width, height } = evenFrame(first);
      const rate = Math.min(maxFrameRate, Math.round(first.video!.frameRate ?? fallbackFrameRate));
      chains.push(
        `[${i}:${probe.video!.index}]scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
          `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${rate},format=yuv420p[v${i}]`,
      );
      segments.push(`[v${i}]`);
    }
    if (withAudio) {
      const layout = first.audio!.channels === 1 ? 'mono' : 'stereo';
      const rate = sampleRate(first, audioCodec);
      chains.push(`[${i}:${probe.audio!.index}]aformat=sample_fmts=fltp:sample_rates=${rate}:channel_layouts=${layout}[a${i}]`);
      segments.push(`[a${i}]`);
    }
  });
  const outputs = `${withVideo ? '[vout]' : ''}${withAudio ? '[aout]' : ''}`;
  chains.push(`${segments.join('')}concat=n=${probes.length}:v=${withVideo ? 1 : 0}:a=${withAudio ? 1 : 0}${outputs}`);

  const options = ['-filter_complex', chains.join(';')];
  if (withVideo && videoCodec) options.push('-map', '[vout]', ...videoEncoderOptions(videoCodec, args.format, false));
  if (withAudio) options.push('-map', '[aout]', ...audioEncoderOptions(audioCodec));
  options.push(...muxerOptions(args.format));

  await runFfmpeg({ inputs, outputOptions: options, outputPath, cwd: context.workDir, expectedDurationS: totalS || undefined }, control);
  return { path: outputPath, mime };
}

/** The first source's upright size, made even for 4:2:0. */
function evenFrame(first: AvProbe): { width: number; height: number } {
  const video = first.video!;
  const even = (side: number) => Math.max(2, side - (side % 2));
  return { width: even(video.displayWidth), height: even(video.displayHeight) };
}

/** The first source's sample rate when the encoder can write it, else 48 kHz (which all can). */
function sampleRate(first: AvProbe, codec: keyof typeof encoderSampleRatesHz): number {
  const rate = first.audio!.sampleRateHz;
  const writable = encoderSampleRatesHz[codec];
  return rate > 0 && rate <= 48000 && (!writable || writable.includes(rate)) ? rate : 48000;
}

/** `avconcat` as the plan executor runs it. */
export const avconcatRun = onFileRun('avconcat', runAvconcat);
