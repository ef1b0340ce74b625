import { type AudioCodec, type AvthumbFormat, type VideoCodec, audioCodecs, avthumbFormats, sampleRatesHz, videoCodecs } from './av.formats';
import { type PixelSize, formatBitrate, formatSeconds, parseAspectRatio, parseBitrate, parseMilliseconds, parsePixelSize } from './av.params';
import { checkAvthumbCombination } from './avthumb.rules';
import { type HlsArgs, formatHlsParams, hlsParamNames, parseHlsParams } from './hls.params';
import { type AvthumbVideoArgs, avthumbVideoParamNames, formatAvthumbVideoParams, parseAvthumbVideoParams } from './avthumb.video.params';
import { type Colour, formatEncodedColour, parseEncodedColour } from './colour.params';
import type { CommandSpec, ParseContext } from './command-spec';
import { type Gravity, parseGravity } from './gravity.params';
import { type ObjectRef, decodeBase64Text, encodeBase64Text } from './encoded.params';
import { type MarkSource, everyHostIsOwn, formatEncodedMarkSource, isOutsideUrl, parseEncodedMarkSource } from './mark-source.params';
import { type StepAt, paramLabel, parseChoice, parseFlag, parseInteger, quoteToken, readNamedParams, stepError } from './params';

/** Longest wmText, in characters: a caption, not a paragraph. */
const maxWatermarkTextChars = 200;
/** Longest `ss` or `t`, in ms; a day. The source's own length is checked by libs/media. */
const maxSeekMs = 86_400_000;

// Qiniu's documented order; it is also the order of the canonical text.
const paramNames = [
  'ab', 'aq', 'ar', 'ac', 'r', 'vb', 'vcodec', 'acodec', 's', 'autoscale', 'aspect', 'ss', 't', 'stripmeta',
  'rotate', 'an', 'vn', 'wmImage', 'wmGravity', 'wmText', 'wmGravityText', 'wmFontColor', 'wmFontSize',
  ...avthumbVideoParamNames, ...hlsParamNames,
] as const;
/** avthumb's parameter names as written in the fop. */
export type AvthumbParam = (typeof paramNames)[number];

/** Parsed `avthumb/<format>/...`. Absent fields mean "as the source" or the documented default. */
export interface AvthumbArgs extends AvthumbVideoArgs {
  /** Output container, or `m3u8` (HLS: a playlist and its segments; then `hls` holds its settings). */
  format: AvthumbFormat;
  /** `ab`: audio bitrate in bits per second; libs/media lowers it to the source's (Qiniu does). */
  audioBitrateBps?: number;
  /** `aq`: libmp3lame VBR quality 0 (best) to 9; never together with ab. */
  audioQuality?: number;
  /** `ar`: sample rate in Hz. */
  sampleRateHz?: number;
  /** `ac`: 1 (mono) or 2 (stereo). */
  channels?: number;
  /** `r`: frames per second, 1 to 60. */
  frameRate?: number;
  /** `vb`: video bitrate in bits per second; lowered to the source's like ab. */
  videoBitrateBps?: number;
  /** `vcodec`; absent (or the container's default, folded away) means the default encoder. */
  videoCodec?: VideoCodec;
  /** `acodec`; as videoCodec. */
  audioCodec?: AudioCodec;
  /** `s`: output frame size in pixels (even sizes are enforced by libs/media where the codec needs them). */
  size?: PixelSize;
  /** `s/<W>x<H>>` scales only a frame larger than the box (`shrink`), `s/<W>x<H><` only one inside it (`enlarge`). */
  sizeOnly?: 'shrink' | 'enlarge';
  /** `autoscale/1`: fit inside `size` keeping the picture's ratio instead of stretching to it. */
  autoscale?: true;
  /** `aspect`: display aspect ratio written to the stream, in lowest terms. */
  aspect?: { width: number; height: number };
  /** `ss`: start offset in ms; 0 is folded away. */
  startMs?: number;
  /** `t`: longest output duration in ms. */
  durationMs?: number;
  /** `stripmeta/1`: drop the source's metadata (tags, chapters). */
  stripMetadata?: true;
  /** `rotate`: clockwise turn of the upright picture. `auto` is the default and is folded away. */
  rotate?: 90 | 180 | 270;
  /** `an/1`: no audio in the output. */
  noAudio?: true;
  /** `vn/1`: no video in the output (always implied by audio-only formats, so folded away there). */
  noVideo?: true;
  /** `wmImage`: a stored image, or one on another site, overlaid on the video. */
  watermarkImage?: MarkSource;
  /** `wmGravity`: where wmImage sits; the default is folded away. */
  watermarkGravity?: Gravity;
  /** `wmText`: text drawn on the video (decoded). */
  watermarkText?: string;
  /** `wmGravityText`: where wmText sits. */
  textGravity?: Gravity;
  /** `wmFontColor`: text colour, alpha included; black (the default) is folded away. */
  fontColor?: Colour;
  /** `wmFontSize`: text height in px, 1 to 500. */
  fontSizePx?: number;
  /** HLS settings; present exactly when format is `m3u8`. */
  hls?: HlsArgs;
}

function parseFormat(at: StepAt, token: string): AvthumbFormat {
  // `hls` is Qiniu's other name for m3u8.
  return parseChoice(at, 'format', token, avthumbFormats, { hls: 'm3u8' });
}

function parseSampleRate(at: StepAt, token: string): number {
  const value = /^[0-9]{1,9}$/.test(token) ? Number(token) : NaN;
  if (!(sampleRatesHz as readonly number[]).includes(value)) {
    throw stepError(at, `${paramLabel('ar')} must be one of ${sampleRatesHz.join(', ')} (Hz), got ${quoteToken(token)}`, token);
  }
  return value;
}

function parseAvthumb(tokens: string[], stepIndex: number, context: ParseContext = { isOwnHost: everyHostIsOwn }): AvthumbArgs {
  const at: StepAt = { command: 'avthumb', stepIndex };
  if (tokens.length === 0) throw stepError(at, `format (one of ${avthumbFormats.join(', ')}) is required as the first value`);
  const format = parseFormat(at, tokens[0]);
  const raw = readNamedParams(at, tokens.slice(1), paramNames);
  const token = (name: AvthumbParam) => raw.get(name);
  const label = paramLabel;
  // Built in a fixed key order with absent keys left out: equal meanings give deep-equal args.
  const args: AvthumbArgs = { format };
  const ab = token('ab');
  if (ab !== undefined) args.audioBitrateBps = parseBitrate(at, label('ab'), ab, 8000, 1_000_000);
  const aq = token('aq');
  if (aq !== undefined) args.audioQuality = parseInteger(at, label('aq'), aq, 0, 9);
  const ar = token('ar');
  if (ar !== undefined) args.sampleRateHz = parseSampleRate(at, ar);
  const ac = token('ac');
  if (ac !== undefined) args.channels = parseInteger(at, label('ac'), ac, 1, 2);
  const r = token('r');
  if (r !== undefined) args.frameRate = parseInteger(at, label('r'), r, 1, 60);
  const vb = token('vb');
  if (vb !== undefined) args.videoBitrateBps = parseBitrate(at, label('vb'), vb, 10_000, 100_000_000);
  const vcodec = token('vcodec');
  if (vcodec !== undefined) args.videoCodec = parseChoice(at, label('vcodec'), vcodec, videoCodecs);
  const acodec = token('acodec');
  if (acodec !== undefined) args.audioCodec = parseChoice(at, label('acodec'), acodec, audioCodecs);
  const s = token('s');
  if (s !== undefined) {
    // Qiniu's `>` (only shrink) and `<` (only enlarge) suffixes, as in imageMogr2's thumbnail.
    const only = s.endsWith('>') ? 'shrink' : s.endsWith('<') ? 'enlarge' : undefined;
    args.size = parsePixelSize(at, label('s'), only ? s.slice(0, -1) : s, [20, 3840], [20, 2160]);
    if (only) args.sizeOnly = only;
  }
  const autoscale = token('autoscale');
  if (autoscale !== undefined && parseFlag(at, label('autoscale'), autoscale)) args.autoscale = true;
  const aspect = token('aspect');
  if (aspect !== undefined) args.aspect = parseAspectRatio(at, label('aspect'), aspect);
  const ss = token('ss');
  if (ss !== undefined) {
    const startMs = parseMilliseconds(at, label('ss'), ss, 0, maxSeekMs);
    if (startMs > 0) args.startMs = startMs;
  }
  const t = token('t');
  if (t !== undefined) args.durationMs = parseMilliseconds(at, label('t'), t, 1, maxSeekMs);
  const stripmeta = token('stripmeta');
  if (stripmeta !== undefined && parseFlag(at, label('stripmeta'), stripmeta)) args.stripMetadata = true;
  const rotate = token('rotate');
  if (rotate !== undefined) {
    const degrees = parseChoice(at, label('rotate'), rotate, ['90', '180', '270', 'auto'] as const);
    // ffmpeg always turns the picture upright first (its autorotate), so `auto` is the default.
    if (degrees !== 'auto') args.rotate = Number(degrees) as 90 | 180 | 270;
  }
  const an = token('an');
  if (an !== undefined && parseFlag(at, label('an'), an)) args.noAudio = true;
  const vn = token('vn');
  if (vn !== undefined && parseFlag(at, label('vn'), vn)) args.noVideo = true;
  const wmImage = token('wmImage');
  if (wmImage !== undefined) args.watermarkImage = parseEncodedMarkSource(at, label('wmImage'), wmImage, context.isOwnHost);
  const wmGravity = token('wmGravity');
  if (wmGravity !== undefined) args.watermarkGravity = parseGravity(at, label('wmGravity'), wmGravity);
  const wmText = token('wmText');
  if (wmText !== undefined) {
    args.watermarkText = decodeBase64Text(at, label('wmText'), wmText, 'text', maxWatermarkTextChars);
  }
  const wmGravityText = token('wmGravityText');
  if (wmGravityText !== undefined) args.textGravity = parseGravity(at, label('wmGravityText'), wmGravityText);
  const wmFontColor = token('wmFontColor');
  if (wmFontColor !== undefined) args.fontColor = parseEncodedColour(at, label('wmFontColor'), wmFontColor);
  const wmFontSize = token('wmFontSize');
  if (wmFontSize !== undefined) args.fontSizePx = parseInteger(at, label('wmFontSize'), wmFontSize, 1, 500);
  parseAvthumbVideoParams(at, raw, args);
  if (format === 'm3u8') {
    args.hls = parseHlsParams(at, raw);
  } else {
    const hlsOnly = hlsParamNames.find((name) => raw.has(name));
    if (hlsOnly) throw stepError(at, `${label(hlsOnly)} is for HLS only (avthumb/m3u8), not '${format}'`, hlsOnly);
  }
  return checkAvthumbCombination(at, args, new Set(raw.keys()));
}

const sizeSuffix = { always: '', shrink: '>', enlarge: '<' } as const;

function formatAvthumb(args: AvthumbArgs): string {
  const parts: (string | number)[] = ['avthumb', args.format];
  const add = (name: AvthumbParam, value: string | number | undefined) => {
    if (value !== undefined) parts.push(name, value);
  };
  add('ab', args.audioBitrateBps === undefined ? undefined : formatBitrate(args.audioBitrateBps));
  add('aq', args.audioQuality);
  add('ar', args.sampleRateHz);
  add('ac', args.channels);
  add('r', args.frameRate);
  add('vb', args.videoBitrateBps === undefined ? undefined : formatBitrate(args.videoBitrateBps));
  add('vcodec', args.videoCodec);
  add('acodec', args.audioCodec);
  add('s', args.size && `${args.size.width}x${args.size.height}${sizeSuffix[args.sizeOnly ?? 'always']}`);
  add('autoscale', args.autoscale ? 1 : undefined);
  add('aspect', args.aspect && `${args.aspect.width}:${args.aspect.height}`);
  add('ss', args.startMs ? formatSeconds(args.startMs) : undefined);
  add('t', args.durationMs === undefined ? undefined : formatSeconds(args.durationMs));
  add('stripmeta', args.stripMetadata ? 1 : undefined);
  add('rotate', args.rotate);
  add('an', args.noAudio ? 1 : undefined);
  add('vn', args.noVideo ? 1 : undefined);
  add('wmImage', args.watermarkImage && formatEncodedMarkSource(args.watermarkImage));
  add('wmGravity', args.watermarkGravity);
  add('wmText', args.watermarkText === undefined ? undefined : encodeBase64Text(args.watermarkText));
  add('wmGravityText', args.textGravity);
  add('wmFontColor', args.fontColor && formatEncodedColour(args.fontColor));
  add('wmFontSize', args.fontSizePx);
  parts.push(...formatAvthumbVideoParams(args));
  if (args.hls) parts.push(...formatHlsParams(args.hls));
  return parts.join('/');
}

/** `avthumb`: transcode audio/video into another container, codec, size, bitrate or cut, with watermarks. */
export const avthumbCommand: CommandSpec<AvthumbArgs> = {
  name: 'avthumb',
  family: 'av',
  output: 'media',
  summary: 'Transcode audio/video: container, codecs, bitrates, size, cut (ss/t), rotation and watermarks.',
  parse: parseAvthumb,
  format: formatAvthumb,
  references: (args) =>
    [args.watermarkImage && !isOutsideUrl(args.watermarkImage) ? args.watermarkImage : undefined, args.subtitle].filter((ref): ref is ObjectRef => ref !== undefined),
  fetches: (args) => (args.watermarkImage && isOutsideUrl(args.watermarkImage) ? [args.watermarkImage.url] : []),
  writesObjectSet: (args) => args.format === 'm3u8',
};
