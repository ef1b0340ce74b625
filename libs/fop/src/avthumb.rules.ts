import {
  type AudioCodec,
  type VideoCodec,
  avthumbFormatRules,
  avWatermarkDefaultFontColor,
  avWatermarkDefaultFontSizePx,
  avWatermarkDefaultGravity,
  encoderSampleRatesHz,
  isAudioOnly,
} from './av.formats';
import type { AvthumbArgs, AvthumbParam } from './avthumb.command';
import { avthumbVideoParamNames } from './avthumb.video.params';
import { sameColour } from './colour.params';
import { type StepAt, paramLabel, quoteToken, stepError } from './params';

// Rules between avthumb's parameters. Each single value was already checked; here a combination
// that ffmpeg would reject, or silently ignore, becomes a 400 that names both sides, and values
// that only restate a default are folded away so they share the cache key of the plain request.

const videoParams: readonly AvthumbParam[] = [
  'r', 'vb', 'vcodec', 's', 'autoscale', 'aspect', 'rotate',
  'wmImage', 'wmGravity', 'wmText', 'wmGravityText', 'wmFontColor', 'wmFontSize', ...avthumbVideoParamNames,
];
const audioParams: readonly AvthumbParam[] = ['ab', 'aq', 'ar', 'ac', 'acodec'];
// What a stream copy cannot do: each of these needs decoded frames or samples.
const reencodeVideoParams: readonly AvthumbParam[] = ['r', 'vb', 's', 'autoscale', 'rotate', 'wmImage', 'wmText', ...avthumbVideoParamNames];
// Encoder settings only the x264/x265 encoders read.
const x26xParams: readonly AvthumbParam[] = ['crf'];
const x264Params: readonly AvthumbParam[] = ['h264Profile', 'h264Level'];
// Placement of wmImage.
const imageMarkParams: readonly AvthumbParam[] = ['wmScale', 'wmOffsetX', 'wmOffsetY'];
const reencodeAudioParams: readonly AvthumbParam[] = ['ab', 'aq', 'ar', 'ac'];
const lossless: readonly AudioCodec[] = ['flac', 'pcm_s16le'];

/** Checks avthumb's parameters against each other; `given` holds the names the fop wrote. */
export function checkAvthumbCombination(at: StepAt, args: AvthumbArgs, given: ReadonlySet<AvthumbParam>): AvthumbArgs {
  const rules = avthumbFormatRules(args.format);
  const firstGiven = (names: readonly AvthumbParam[]) => names.find((name) => given.has(name));
  const reject = (problem: string, token?: string): never => {
    throw stepError(at, problem, token);
  };

  if (isAudioOnly(args.format)) {
    const video = firstGiven(videoParams);
    if (video) reject(`${paramLabel(video)} needs a video format; '${args.format}' holds audio only`, video);
    // vn is what an audio-only container means anyway.
    delete args.noVideo;
    if (args.noAudio) reject(`an/1 leaves '${args.format}' with nothing to write`, 'an');
  }
  if (args.noAudio && args.noVideo) reject('an/1 and vn/1 together leave nothing to write', 'vn');
  if (args.noVideo) {
    const video = firstGiven(videoParams);
    if (video) reject(`${paramLabel(video)} has no effect with vn/1 (no video in the output)`, video);
  }
  if (args.noAudio) {
    const audio = firstGiven(audioParams);
    if (audio) reject(`${paramLabel(audio)} has no effect with an/1 (no audio in the output)`, audio);
  }

  const videoCodec = checkCodec(at, 'vcodec', args.videoCodec, rules.videoCodecs, args.format);
  if (videoCodec === rules.defaultVideoCodec) delete args.videoCodec;
  const audioCodec = checkCodec(at, 'acodec', args.audioCodec, rules.audioCodecs, args.format) ?? rules.defaultAudioCodec;
  if (audioCodec === rules.defaultAudioCodec) delete args.audioCodec;

  if (videoCodec === 'copy') {
    const needsFrames = firstGiven(reencodeVideoParams);
    if (needsFrames) reject(`${paramLabel(needsFrames)} needs re-encoding, so it cannot be used with vcodec/copy`, needsFrames);
  }
  if (audioCodec === 'copy') {
    const needsSamples = firstGiven(reencodeAudioParams);
    if (needsSamples) reject(`${paramLabel(needsSamples)} needs re-encoding, so it cannot be used with acodec/copy`, needsSamples);
  }
  if (args.audioQuality !== undefined) {
    if (args.audioBitrateBps !== undefined) reject(`parameters 'ab' and 'aq' cannot be used together`, 'aq');
    if (audioCodec !== 'libmp3lame') {
      reject(`${paramLabel('aq')} sets libmp3lame's quality; the audio codec here is ${audioCodec}`, 'aq');
    }
  }
  if (args.audioBitrateBps !== undefined && lossless.includes(audioCodec)) {
    reject(`${paramLabel('ab')} has no effect on lossless ${audioCodec}`, 'ab');
  }
  const rates = encoderSampleRatesHz[audioCodec];
  if (args.sampleRateHz !== undefined && rates && !rates.includes(args.sampleRateHz)) {
    reject(`${paramLabel('ar')} must be one of ${rates.join(', ')} for ${audioCodec}, got '${args.sampleRateHz}'`, String(args.sampleRateHz));
  }
  if (videoCodec !== 'copy') {
    const codec = videoCodec ?? rules.defaultVideoCodec;
    const x26x = codec === 'libx264' || codec === 'libx265' ? undefined : firstGiven(x26xParams);
    if (x26x) reject(`${paramLabel(x26x)} is for libx264 and libx265; the video codec here is ${codec}`, x26x);
    const x264 = codec === 'libx264' ? undefined : firstGiven(x264Params);
    if (x264) reject(`${paramLabel(x264)} is for H.264 (libx264); the video codec here is ${codec}`, x264);
  }
  // Both set the rate control; ffmpeg would take vb and drop crf without a word.
  if (args.crf !== undefined && args.videoBitrateBps !== undefined) reject(`parameters 'vb' and 'crf' cannot be used together`, 'crf');
  if (!args.watermarkImage) {
    const placement = firstGiven(imageMarkParams);
    if (placement) reject(`${paramLabel(placement)} places wmImage, which is absent`, placement);
  }
  if (args.autoscale && !args.size) reject(`autoscale/1 needs parameter 's' (the box to fit in)`, 'autoscale');

  if (given.has('wmGravity') && !args.watermarkImage) {
    reject(`${paramLabel('wmGravity')} places wmImage, which is absent; wmGravityText places wmText`, 'wmGravity');
  }
  if (args.watermarkGravity === avWatermarkDefaultGravity) delete args.watermarkGravity;
  if (!args.watermarkText) {
    const textOption = firstGiven(['wmGravityText', 'wmFontColor', 'wmFontSize']);
    if (textOption) reject(`${paramLabel(textOption)} styles wmText, which is absent`, textOption);
  }
  if (args.textGravity === avWatermarkDefaultGravity) delete args.textGravity;
  if (args.fontColor && sameColour(args.fontColor, avWatermarkDefaultFontColor)) delete args.fontColor;
  if (args.fontSizePx === avWatermarkDefaultFontSizePx) delete args.fontSizePx;
  return args;
}

function checkCodec<C extends VideoCodec | AudioCodec>(
  at: StepAt,
  name: 'vcodec' | 'acodec',
  codec: C | undefined,
  allowed: readonly C[],
  format: string,
): C | undefined {
  if (codec === undefined || allowed.includes(codec)) return codec;
  throw stepError(at, `${paramLabel(name)} must be one of ${allowed.join(', ')} for ${format}, got ${quoteToken(codec)}`, codec);
}
