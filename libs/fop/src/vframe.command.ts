import { formatSeconds, parseMilliseconds } from './av.params';
import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { type StepAt, paramLabel, parseChoice, parseInteger, readNamedParams, stepError } from './params';

const frameFormats = ['jpg', 'png'] as const;
/** Image formats vframe writes. */
export type FrameFormat = (typeof frameFormats)[number];

/** Latest `offset`, in ms (a day); whether it lies inside the source is checked by libs/media. */
const maxOffsetMs = 86_400_000;

// Qiniu's vframe page: of w and h, the long edge lies in [20, 3840] and the short edge in [20, 2160],
// so a portrait frame may be 2160×3840 as well as a landscape one 3840×2160.
const minEdgePx = 20;
const maxLongEdgePx = 3840;
const maxShortEdgePx = 2160;

// Order of the canonical text; parameters may be written in any order.
const paramNames = ['offset', 'w', 'h', 'rotate'] as const;

/** Parsed `vframe/<format>/offset/<s>/...`: one frame of a video as an image. */
export interface VframeArgs {
  format: FrameFormat;
  /** Where the frame is taken, in ms from the start (Qiniu: required, millisecond precision). */
  offsetMs: number;
  /** Width in px, 20 to 3840 (the short edge of w and h at most 2160); alone it keeps the picture's ratio. */
  w?: number;
  /** Height in px, 20 to 3840 (the short edge of w and h at most 2160); alone it keeps the ratio; with w the frame is exactly w×h. */
  h?: number;
  /** Clockwise turn of the upright frame; `auto` (upright, the default) is folded away. */
  rotate?: 90 | 180 | 270;
}

function parseVframe(tokens: string[], stepIndex: number): VframeArgs {
  const at: StepAt = { command: 'vframe', stepIndex };
  if (tokens.length === 0) throw stepError(at, `format (jpg or png) is required as the first value`);
  const format = parseChoice(at, 'format', tokens[0], frameFormats, { jpeg: 'jpg' });
  const raw = readNamedParams(at, tokens.slice(1), paramNames);
  const offset = raw.get('offset');
  if (offset === undefined) throw stepError(at, `parameter 'offset' (seconds into the video) is required`);
  const args: VframeArgs = { format, offsetMs: parseMilliseconds(at, paramLabel('offset'), offset, 0, maxOffsetMs) };
  const w = raw.get('w');
  if (w !== undefined) args.w = parseInteger(at, paramLabel('w'), w, minEdgePx, maxLongEdgePx);
  const h = raw.get('h');
  if (h !== undefined) args.h = parseInteger(at, paramLabel('h'), h, minEdgePx, maxLongEdgePx);
  if (args.w !== undefined && args.h !== undefined && Math.min(args.w, args.h) > maxShortEdgePx) {
    const name = args.w <= args.h ? 'w' : 'h';
    throw stepError(
      at,
      `the short edge of w and h must be at most ${maxShortEdgePx} (long edge ${minEdgePx}-${maxLongEdgePx}, short edge ${minEdgePx}-${maxShortEdgePx}), got ${args.w}x${args.h}`,
      raw.get(name),
    );
  }
  const rotate = raw.get('rotate');
  if (rotate !== undefined) {
    const degrees = parseChoice(at, paramLabel('rotate'), rotate, ['90', '180', '270', 'auto'] as const);
    // ffmpeg turns frames upright by default, so `auto` is the plain request.
    if (degrees !== 'auto') args.rotate = Number(degrees) as 90 | 180 | 270;
  }
  return args;
}

function formatVframe(args: VframeArgs): string {
  const parts: (string | number)[] = ['vframe', args.format, 'offset', formatSeconds(args.offsetMs)];
  if (args.w !== undefined) parts.push('w', args.w);
  if (args.h !== undefined) parts.push('h', args.h);
  if (args.rotate !== undefined) parts.push('rotate', args.rotate);
  return parts.join('/');
}

/** `vframe`: the frame at `offset` as a JPEG or PNG, optionally resized and rotated. */
export const vframeCommand: CommandSpec<VframeArgs> = {
  name: 'vframe',
  family: 'av',
  output: 'media',
  summary: 'One video frame at a given offset, as jpg or png, optionally resized (w/h) and rotated.',
  parse: parseVframe,
  format: formatVframe,
  references: readsOnlyItsInput,
};
