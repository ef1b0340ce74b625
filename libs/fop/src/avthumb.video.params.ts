import { formatBitrate, parseBitrate } from './av.params';
import type { ObjectRef } from './encoded.params';
import { formatEncodedObjectRef, parseEncodedObjectRef } from './object-ref.params';
import { type StepAt, paramLabel, parseChoice, parseFlag, parseInteger, quoteToken, stepError } from './params';

// avthumb's encoder, picture and watermark-placement parameters beyond the basic set, named as
// Qiniu's avthumb page (dora/manual/1248) and video watermark page (dora/manual/1314) spell them.
// Values of the basic parameters (ab, vb, s, r, vcodec...) are read by avthumb.command.ts.

/** avthumb parameters read here, in Qiniu's documented order. */
export const avthumbVideoParamNames = [
  'crf', 'h264Profile', 'h264Level', 'maxrate', 'gop', 'padW', 'padH', 'padVideoX', 'padVideoY',
  'deinterlace', 'wmScale', 'wmOffsetX', 'wmOffsetY', 'subtitle',
] as const;
export type AvthumbVideoParam = (typeof avthumbVideoParamNames)[number];

/** H.264 profiles `h264Profile` takes (the three Qiniu lists; libx264 writes each). */
export const h264Profiles = ['baseline', 'main', 'high'] as const;
/** H.264 levels `h264Level` takes, as the standard numbers them. */
export const h264Levels = ['1', '1.1', '1.2', '1.3', '2', '2.1', '2.2', '3', '3.1', '3.2', '4', '4.1', '4.2', '5', '5.1', '5.2'] as const;

/** Largest padded frame, in px a side: the same bounds as `s`. */
const maxPadWidthPx = 3840;
const maxPadHeightPx = 2160;
/** Largest watermark offset, in px either way: beyond it a mark leaves any frame `s` allows. */
const maxWatermarkOffsetPx = 3840;

/** `padW`/`padH`/`padVideoX`/`padVideoY`: the frame is enlarged to width×height with black bars. */
export interface PadBox {
  width: number;
  height: number;
  /** Left edge of the picture inside the box; centred when absent. */
  videoX?: number;
  /** Top edge of the picture inside the box; centred when absent. */
  videoY?: number;
}

/** The parsed values of avthumbVideoParamNames; each absent field means the encoder's or Qiniu's default. */
export interface AvthumbVideoArgs {
  /** `crf`: constant rate factor of libx264/libx265, 0 (lossless) to 51; not with `vb`. */
  crf?: number;
  /** `h264Profile`: the H.264 profile written (libx264 only). */
  h264Profile?: (typeof h264Profiles)[number];
  /** `h264Level`: the H.264 level written (libx264 only). */
  h264Level?: (typeof h264Levels)[number];
  /** `maxrate`: peak video bitrate in bits per second (with a buffer of two seconds' worth of it). */
  maxrateBps?: number;
  /** `gop`: the longest distance between key frames, in frames. */
  gopFrames?: number;
  /** Pad box; present only when both padW and padH are given. */
  pad?: PadBox;
  /** `deinterlace/1`: frames are deinterlaced (yadif) before anything else. */
  deinterlace?: true;
  /** `wmScale`: wmImage's width as a share of the frame's width, above 0 up to 1, keeping its ratio. */
  watermarkScale?: number;
  /** `wmOffsetX`: wmImage's distance in px from the edge its gravity names; a shift right on a centred axis. */
  watermarkOffsetXPx?: number;
  /** `wmOffsetY`: as wmOffsetX, downwards. */
  watermarkOffsetYPx?: number;
  /** `subtitle`: a stored SRT (or ASS) object burnt into the picture. */
  subtitle?: ObjectRef;
}

/** Reads avthumbVideoParamNames from avthumb's named values into `args`; `raw` holds what the fop wrote. */
export function parseAvthumbVideoParams<A extends AvthumbVideoArgs>(at: StepAt, raw: ReadonlyMap<string, string>, args: A): A {
  const token = (name: AvthumbVideoParam) => raw.get(name);
  const label = paramLabel;
  const crf = token('crf');
  if (crf !== undefined) args.crf = parseInteger(at, label('crf'), crf, 0, 51);
  const profile = token('h264Profile');
  if (profile !== undefined) args.h264Profile = parseChoice(at, label('h264Profile'), profile, h264Profiles);
  const level = token('h264Level');
  if (level !== undefined) args.h264Level = parseH264Level(at, level);
  const maxrate = token('maxrate');
  if (maxrate !== undefined) args.maxrateBps = parseBitrate(at, label('maxrate'), maxrate, 10_000, 100_000_000);
  const gop = token('gop');
  if (gop !== undefined) args.gopFrames = parseInteger(at, label('gop'), gop, 1, 1000);
  const pad = parsePad(at, raw);
  if (pad) args.pad = pad;
  const deinterlace = token('deinterlace');
  if (deinterlace !== undefined && parseFlag(at, label('deinterlace'), deinterlace)) args.deinterlace = true;
  const scale = token('wmScale');
  if (scale !== undefined) args.watermarkScale = parseShare(at, label('wmScale'), scale);
  const offsetX = token('wmOffsetX');
  if (offsetX !== undefined) args.watermarkOffsetXPx = parseOffset(at, label('wmOffsetX'), offsetX);
  const offsetY = token('wmOffsetY');
  if (offsetY !== undefined) args.watermarkOffsetYPx = parseOffset(at, label('wmOffsetY'), offsetY);
  const subtitle = token('subtitle');
  if (subtitle !== undefined) args.subtitle = parseEncodedObjectRef(at, label('subtitle'), subtitle);
  return args;
}

/** The canonical text of the values parseAvthumbVideoParams read, in avthumbVideoParamNames order. */
export function formatAvthumbVideoParams(args: AvthumbVideoArgs): (string | number)[] {
  const parts: (string | number)[] = [];
  const add = (name: AvthumbVideoParam, value: string | number | undefined) => {
    if (value !== undefined) parts.push(name, value);
  };
  add('crf', args.crf);
  add('h264Profile', args.h264Profile);
  add('h264Level', args.h264Level);
  add('maxrate', args.maxrateBps === undefined ? undefined : formatBitrate(args.maxrateBps));
  add('gop', args.gopFrames);
  add('padW', args.pad?.width);
  add('padH', args.pad?.height);
  add('padVideoX', args.pad?.videoX);
  add('padVideoY', args.pad?.videoY);
  add('deinterlace', args.deinterlace ? 1 : undefined);
  add('wmScale', args.watermarkScale);
  add('wmOffsetX', args.watermarkOffsetXPx);
  add('wmOffsetY', args.watermarkOffsetYPx);
  add('subtitle', args.subtitle && formatEncodedObjectRef(args.subtitle));
  return parts;
}

function parseH264Level(at: StepAt, token: string): (typeof h264Levels)[number] {
  // `31` and `3.0` are common spellings of 3.1 and 3 (ffmpeg and x264 take both).
  const normalised = /^[1-5][0-2]$/.test(token) ? `${token[0]}.${token[1]}` : token;
  return parseChoice(at, paramLabel('h264Level'), normalised.replace(/\.0$/, ''), h264Levels);
}

function parsePad(at: StepAt, raw: ReadonlyMap<string, string>): PadBox | undefined {
  const width = raw.get('padW');
  const height = raw.get('padH');
  if (width === undefined && height === undefined) {
    const place = (['padVideoX', 'padVideoY'] as const).find((name) => raw.has(name));
    if (place) throw stepError(at, `${paramLabel(place)} places the picture in the padded frame, which needs padW and padH`, place);
    return undefined;
  }
  if (width === undefined || height === undefined) {
    const missing = width === undefined ? 'padW' : 'padH';
    throw stepError(at, `padW and padH go together: ${paramLabel(missing)} is missing`, missing);
  }
  const box: PadBox = {
    width: parseEvenSide(at, 'padW', width, maxPadWidthPx),
    height: parseEvenSide(at, 'padH', height, maxPadHeightPx),
  };
  const x = raw.get('padVideoX');
  if (x !== undefined) box.videoX = parseInteger(at, paramLabel('padVideoX'), x, 0, box.width);
  const y = raw.get('padVideoY');
  if (y !== undefined) box.videoY = parseInteger(at, paramLabel('padVideoY'), y, 0, box.height);
  return box;
}

// 4:2:0 video has even sides; an odd padded frame could not be encoded.
function parseEvenSide(at: StepAt, name: 'padW' | 'padH', token: string, max: number): number {
  const value = parseInteger(at, paramLabel(name), token, 20, max);
  if (value % 2 !== 0) throw stepError(at, `${paramLabel(name)} must be even (4:2:0 video has even sides), got ${quoteToken(token)}`, token);
  return value;
}

/** A share above 0 and up to 1 with at most 3 decimals (`0.25`), kept exact for the canonical text. */
function parseShare(at: StepAt, label: string, token: string): number {
  const value = /^(0(\.[0-9]{1,3})?|1(\.0{1,3})?)$/.test(token) ? Number(token) : NaN;
  if (!(value > 0 && value <= 1)) {
    throw stepError(at, `${label} must be a share of the frame's width above 0 and up to 1 with at most 3 decimals, got ${quoteToken(token)}`, token);
  }
  return value;
}

function parseOffset(at: StepAt, label: string, token: string): number {
  const value = /^-?[0-9]{1,5}$/.test(token) ? Number(token) : NaN;
  if (!(Math.abs(value) <= maxWatermarkOffsetPx)) {
    throw stepError(at, `${label} must be whole px from -${maxWatermarkOffsetPx} to ${maxWatermarkOffsetPx}, got ${quoteToken(token)}`, token);
  }
  return value === 0 ? 0 : value;
}
