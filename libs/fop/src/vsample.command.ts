import { formatSeconds, parseMilliseconds } from './av.params';
import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { encodeBase64Text } from './encoded.params';
import { parseObjectSetPattern } from './hls.params';
import { maxObjectSetMembers } from './object-set.keys';
import { type StepAt, paramLabel, parseChoice, parseInteger, quoteToken, readNamedParams, stepError } from './params';

// vsample as Qiniu documents it (dora/api/video-sampling-thumbnails-vsample): snapshots every
// `interval` seconds (or `frames` evenly spread) from `ss` for `t` seconds, each scaled to `s` and
// turned by `rotate`, stored as a series named by `pattern`/`savePattern`. `tile` is Fopflow's
// extension (Qiniu has no sprite parameter): each stored image is a sprite sheet of cols×rows
// snapshots, left to right then top to bottom, the last sheet padded with black.

const sampleFormats = ['jpg', 'png'] as const;
/** Image formats vsample writes. */
export type SampleFormat = (typeof sampleFormats)[number];

/** Latest `ss` and longest `t`, in ms (a day); the source's own length is checked by libs/media. */
const maxSpanMs = 86_400_000;
/** Qiniu's default interval between snapshots, in ms. */
export const vsampleDefaultIntervalMs = 5000;
/** Most snapshots along one side of a sprite sheet. */
const maxTileSide = 20;

const paramNames = ['ss', 't', 's', 'rotate', 'interval', 'frames', 'pattern', 'savePattern', 'tile'] as const;

/** Parsed `vsample/<format>/...`. */
export interface VsampleArgs {
  format: SampleFormat;
  /** `ss`: first snapshot, in ms from the start; 0 is folded away. */
  startMs?: number;
  /** `t`: how long to sample, in ms; to the end by default. */
  durationMs?: number;
  /** `s`: snapshot size; a side left out (`480x`, `x360`) follows the picture's ratio. */
  width?: number;
  height?: number;
  /** `rotate`: clockwise turn of the upright picture; `auto` is the default and folded away. */
  rotate?: 90 | 180 | 270;
  /** `interval`: ms between snapshots (5 s by default); absent when `frames` is given. */
  intervalMs?: number;
  /** `frames`: this many snapshots spread evenly over the sampled span, instead of an interval. */
  frames?: number;
  /** `pattern` (or `savePattern`): the images' keys with `$(count)`; see object-set.keys.ts. */
  pattern?: string;
  /** `tile/<cols>x<rows>` (extension): sprite sheets of cols×rows snapshots. */
  tile?: { columns: number; rows: number };
}

function parseVsample(tokens: string[], stepIndex: number): VsampleArgs {
  const at: StepAt = { command: 'vsample', stepIndex };
  if (tokens.length === 0) throw stepError(at, 'format (jpg or png) is required as the first value');
  const format = parseChoice(at, 'format', tokens[0], sampleFormats, { jpeg: 'jpg' });
  const raw = readNamedParams(at, tokens.slice(1), paramNames);
  const label = paramLabel;
  const args: VsampleArgs = { format };
  const ss = raw.get('ss');
  if (ss !== undefined) {
    const startMs = parseMilliseconds(at, label('ss'), ss, 0, maxSpanMs);
    if (startMs > 0) args.startMs = startMs;
  }
  const t = raw.get('t');
  if (t !== undefined) args.durationMs = parseMilliseconds(at, label('t'), t, 100, maxSpanMs);
  const s = raw.get('s');
  if (s !== undefined) Object.assign(args, parseSampleSize(at, s));
  const rotate = raw.get('rotate');
  if (rotate !== undefined) {
    const degrees = parseChoice(at, label('rotate'), rotate, ['90', '180', '270', 'auto'] as const);
    if (degrees !== 'auto') args.rotate = Number(degrees) as 90 | 180 | 270;
  }
  const interval = raw.get('interval');
  const frames = raw.get('frames');
  if (interval !== undefined && frames !== undefined) throw stepError(at, `parameters 'interval' and 'frames' cannot be used together`, 'frames');
  if (frames !== undefined) args.frames = parseInteger(at, label('frames'), frames, 1, maxObjectSetMembers);
  else args.intervalMs = interval === undefined ? vsampleDefaultIntervalMs : parseMilliseconds(at, label('interval'), interval, 100, maxSpanMs);
  const pattern = raw.get('pattern');
  const savePattern = raw.get('savePattern');
  if (pattern !== undefined && savePattern !== undefined) throw stepError(at, `parameters 'pattern' and 'savePattern' name the same thing; give one`, 'savePattern');
  if (pattern !== undefined) args.pattern = parseObjectSetPattern(at, 'pattern', pattern);
  if (savePattern !== undefined) args.pattern = parseObjectSetPattern(at, 'savePattern', savePattern);
  const tile = raw.get('tile');
  if (tile !== undefined) args.tile = parseTile(at, tile);
  return args;
}

/** `<W>x<H>`, `<W>x` or `x<H>`; long side 20 to 3840, short side 20 to 2160 (Qiniu's ranges). */
function parseSampleSize(at: StepAt, token: string): { width?: number; height?: number } {
  const match = /^([0-9]{0,5})x([0-9]{0,5})$/.exec(token);
  const width = match?.[1] ? Number(match[1]) : undefined;
  const height = match?.[2] ? Number(match[2]) : undefined;
  const sides = [width, height].filter((side): side is number => side !== undefined);
  const long = Math.max(...sides);
  const short = Math.min(...sides);
  if (!match || sides.length === 0 || short < 20 || long > 3840 || (sides.length === 2 && short > 2160)) {
    throw stepError(
      at,
      `parameter 's' must be <width>x<height>, <width>x or x<height> with the long side 20 to 3840 and the short side 20 to 2160, got ${quoteToken(token)}`,
      token,
    );
  }
  return { ...(width !== undefined && { width }), ...(height !== undefined && { height }) };
}

function parseTile(at: StepAt, token: string): { columns: number; rows: number } {
  const match = /^([0-9]{1,2})x([0-9]{1,2})$/.exec(token);
  const columns = Number(match?.[1]);
  const rows = Number(match?.[2]);
  if (!match || columns < 1 || rows < 1 || columns > maxTileSide || rows > maxTileSide || columns * rows < 2) {
    throw stepError(at, `parameter 'tile' must be <cols>x<rows>, each 1 to ${maxTileSide} and at least 2 snapshots a sheet, got ${quoteToken(token)}`, token);
  }
  return { columns, rows };
}

function formatVsample(args: VsampleArgs): string {
  const parts: (string | number)[] = ['vsample', args.format];
  if (args.startMs) parts.push('ss', formatSeconds(args.startMs));
  if (args.durationMs !== undefined) parts.push('t', formatSeconds(args.durationMs));
  if (args.width !== undefined || args.height !== undefined) parts.push('s', `${args.width ?? ''}x${args.height ?? ''}`);
  if (args.rotate !== undefined) parts.push('rotate', args.rotate);
  if (args.intervalMs !== undefined && args.intervalMs !== vsampleDefaultIntervalMs) parts.push('interval', formatSeconds(args.intervalMs));
  if (args.frames !== undefined) parts.push('frames', args.frames);
  if (args.pattern !== undefined) parts.push('pattern', encodeBase64Text(args.pattern));
  if (args.tile) parts.push('tile', `${args.tile.columns}x${args.tile.rows}`);
  return parts.join('/');
}

/** `vsample`: snapshots of a video at an interval, stored as a series (or as sprite sheets). */
export const vsampleCommand: CommandSpec<VsampleArgs> = {
  name: 'vsample',
  family: 'av',
  output: 'media',
  summary: 'Snapshots every interval (or N evenly spread) from ss for t, sized and rotated, stored as a series; tile/<c>x<r> makes sprite sheets (async jobs only).',
  syncAllowed: false,
  parse: parseVsample,
  format: formatVsample,
  references: readsOnlyItsInput,
  writesObjectSet: () => true,
};
