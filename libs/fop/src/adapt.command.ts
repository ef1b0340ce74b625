import { type PixelSize, formatBitrate, parseBitrate } from './av.params';
import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { hlsDefaultSegmentSeconds } from './hls.params';
import { type StepAt, paramLabel, parseChoice, parseInteger, quoteToken, readNamedParams, stepError } from './params';

// adapt as Qiniu documents it (dora/api/multiple-rate-adaptive-transcoding-adapt): one HLS
// rendition per bandwidth of envBandWidth, each with its multiVb/multiAb/multiResolution value (or
// the common vb/ab/resolution), and a master playlist listing them. Lists are comma-separated,
// 2 to 5 values, all of one length; `$(origin)` in multiVb/multiAb keeps the source's bitrate.

const paramNames = ['envBandWidth', 'multiAb', 'multiVb', 'multiResolution', 'ab', 'vb', 'resolution', 'hlstime'] as const;
/** The magic value of multiVb/multiAb: the source's own bitrate. */
const originBitrate = '$(origin)';

/** One rendition of an adaptive stream. */
export interface AdaptRendition {
  /** BANDWIDTH of its `#EXT-X-STREAM-INF`, in bits per second. */
  bandwidthBps: number;
  /** Video bitrate in bps; absent keeps the source's (as avthumb does without vb). */
  videoBitrateBps?: number;
  audioBitrateBps?: number;
  /** Frame size; absent keeps the source's. */
  size?: PixelSize;
}

/**
 * How far one rendition of an adapt step has got: the job status shows one per rendition while
 * the step runs (an extension of Qiniu's prefop item).
 */
export interface RenditionProgress {
  /** Key of the rendition's playlist (`<target>-00000i.m3u8`). */
  key: string;
  /** Its BANDWIDTH in the master playlist, bits per second. */
  bandwidth: number;
  /** Its frame size as `<width>x<height>`, as the master playlist's RESOLUTION says. */
  resolution: string;
  /** 0–100; 100 once its playlist and segments are written. */
  progress: number;
}

/** Parsed `adapt/m3u8/...`. */
export interface AdaptArgs {
  format: 'm3u8';
  /** Renditions in envBandWidth's (ascending) order. */
  renditions: AdaptRendition[];
  /** `hlstime`: segment length in seconds, 2 to 120; 10 by default. */
  segmentSeconds: number;
}

function parseAdapt(tokens: string[], stepIndex: number): AdaptArgs {
  const at: StepAt = { command: 'adapt', stepIndex };
  if (tokens.length === 0) throw stepError(at, 'format (m3u8) is required as the first value');
  const format = parseChoice(at, 'format', tokens[0], ['m3u8'] as const);
  const raw = readNamedParams(at, tokens.slice(1), paramNames);
  const bandwidths = raw.get('envBandWidth');
  if (bandwidths === undefined) throw stepError(at, `parameter 'envBandWidth' (the renditions' bandwidths, like 200000,800000) is required`);
  const envBandWidth = listOf(at, 'envBandWidth', bandwidths).map((token) => parseInteger(at, paramLabel('envBandWidth'), token, 50_000, 30_000_000));
  if (envBandWidth.some((value, index) => index > 0 && value <= envBandWidth[index - 1])) {
    throw stepError(at, `parameter 'envBandWidth' must list bandwidths in ascending order, got ${quoteToken(bandwidths)}`, bandwidths);
  }
  const count = envBandWidth.length;
  const perRendition = <T>(multi: 'multiVb' | 'multiAb' | 'multiResolution', single: 'vb' | 'ab' | 'resolution', parse: (token: string, label: string) => T | undefined) => {
    const many = raw.get(multi);
    const one = raw.get(single);
    if (many !== undefined && one !== undefined) throw stepError(at, `parameters '${multi}' and '${single}' cannot be used together`, single);
    if (one !== undefined) return Array<T | undefined>(count).fill(parse(one, paramLabel(single)));
    if (many === undefined) return Array<T | undefined>(count).fill(undefined);
    const values = listOf(at, multi, many);
    if (values.length !== count) throw stepError(at, `parameter '${multi}' has ${values.length} values; envBandWidth has ${count}`, many);
    return values.map((token) => parse(token, paramLabel(multi)));
  };
  const bitrate = (min: number, max: number) => (token: string, label: string) => (token === originBitrate ? undefined : parseBitrate(at, label, token, min, max));
  const videoBitrates = perRendition('multiVb', 'vb', bitrate(10_000, 100_000_000));
  const audioBitrates = perRendition('multiAb', 'ab', bitrate(8000, 1_000_000));
  const sizes = perRendition('multiResolution', 'resolution', (token, label) => parseResolution(at, label, token));
  const renditions = envBandWidth.map((bandwidthBps, index) => {
    const rendition: AdaptRendition = { bandwidthBps };
    if (videoBitrates[index] !== undefined) rendition.videoBitrateBps = videoBitrates[index];
    if (audioBitrates[index] !== undefined) rendition.audioBitrateBps = audioBitrates[index];
    if (sizes[index] !== undefined) rendition.size = sizes[index];
    return rendition;
  });
  const hlstime = raw.get('hlstime');
  const segmentSeconds = hlstime === undefined ? hlsDefaultSegmentSeconds : parseInteger(at, paramLabel('hlstime'), hlstime, 2, 120);
  return { format, renditions, segmentSeconds };
}

function listOf(at: StepAt, name: string, token: string): string[] {
  const values = token.split(',');
  if (values.length < 2 || values.length > 5 || values.some((value) => value === '')) {
    throw stepError(at, `parameter '${name}' must list 2 to 5 values separated by ',', got ${quoteToken(token)}`, token);
  }
  return values;
}

/** `<w>:<h>` (Qiniu's spelling), even sides from 20x20 to 3840x2160: what H.264 in HLS plays. */
function parseResolution(at: StepAt, label: string, token: string): PixelSize {
  const match = /^([0-9]{1,4}):([0-9]{1,4})$/.exec(token);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 20 || height < 20 || width > 3840 || height > 2160 || width % 2 || height % 2) {
    throw stepError(at, `${label} must be <width>:<height> with even sides, width 20 to 3840 and height 20 to 2160, got ${quoteToken(token)}`, token);
  }
  return { width, height };
}

function formatAdapt(args: AdaptArgs): string {
  const list = <T>(values: T[], show: (value: T) => string) => values.map(show).join(',');
  const parts: (string | number)[] = ['adapt', args.format, 'envBandWidth', list(args.renditions, (r) => String(r.bandwidthBps))];
  const { renditions } = args;
  if (renditions.some((r) => r.videoBitrateBps !== undefined)) parts.push('multiVb', list(renditions, (r) => (r.videoBitrateBps === undefined ? originBitrate : formatBitrate(r.videoBitrateBps))));
  if (renditions.some((r) => r.audioBitrateBps !== undefined)) parts.push('multiAb', list(renditions, (r) => (r.audioBitrateBps === undefined ? originBitrate : formatBitrate(r.audioBitrateBps))));
  if (renditions.some((r) => r.size)) {
    if (renditions.some((r) => !r.size)) throw new Error('adapt: a resolution for some renditions only cannot be written');
    parts.push('multiResolution', list(renditions, (r) => `${r.size!.width}:${r.size!.height}`));
  }
  if (args.segmentSeconds !== hlsDefaultSegmentSeconds) parts.push('hlstime', args.segmentSeconds);
  return parts.join('/');
}

/** `adapt`: multi-bitrate HLS, one rendition per envBandWidth value and a master playlist. */
export const adaptCommand: CommandSpec<AdaptArgs> = {
  name: 'adapt',
  family: 'av',
  output: 'media',
  summary: 'Multi-bitrate HLS: one rendition per envBandWidth value (multiVb, multiAb, multiResolution) and a master playlist (async jobs only).',
  syncAllowed: false,
  parse: parseAdapt,
  format: formatAdapt,
  references: readsOnlyItsInput,
  writesObjectSet: () => true,
};
