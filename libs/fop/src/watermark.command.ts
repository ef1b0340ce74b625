import { type Colour, formatEncodedColour, parseEncodedColour, sameColour } from './colour.params';
import type { CommandSpec, ParseContext } from './command-spec';
import { type Gravity, parseGravity } from './gravity.params';
import { decodeBase64Text, encodeBase64Text } from './encoded.params';
import { type MarkSource, everyHostIsOwn, formatEncodedMarkSource, isOutsideUrl, parseEncodedMarkSource } from './mark-source.params';
import { StepAt, paramLabel, parseInteger, quoteToken, readNamedParams, stepError } from './params';

/** Defaults Qiniu documents for every mark. */
export const watermarkDefaults = Object.freeze({
  dissolve: 100,
  gravity: 'SouthEast' as Gravity,
  dx: 10,
  dy: 10,
  ws: 0,
  /** Qiniu's unit is the twip (1/20 pt); 240 twips = 12 pt, which at 72 dpi is 12 px. */
  fontSizeTwips: 240,
  fill: Object.freeze({ r: 0, g: 0, b: 0, a: 255 }) as Readonly<Colour>,
});
/** Most marks one `watermark/3` step may draw; each image mark reads a stored object or fetches a URL. */
export const maxWatermarkMarks = 10;
/** Largest margin dx/dy, in pixels. */
export const maxWatermarkOffsetPx = 9999;
/** Font size range, in twips (1/20 pt): 1 pt to 1000 pt. */
export const watermarkFontSizeRange = Object.freeze({ min: 20, max: 20_000 });
/** Longest watermark text, in characters. */
export const maxWatermarkTextChars = 500;

/** Placement shared by image and text marks. */
export interface MarkPlacement {
  /** Opacity 1–100 (100: opaque). */
  dissolve: number;
  gravity: Gravity;
  /** Horizontal margin from the anchored edge, px. */
  dx: number;
  /** Vertical margin from the anchored edge, px. */
  dy: number;
}

/** `image/<b64 URL>`: a stored image, or one on another site, drawn over the source. */
export interface ImageMark extends MarkPlacement {
  kind: 'image';
  image: MarkSource;
  /** 0–1: scale the mark so its edge named by `wst` is ws × the source's same edge; 0 keeps its size. */
  ws: number;
  /** `wst`: the edge ws scales by (1 long, 2 width, 3 height); absent is Qiniu's default 0, the short edge. */
  scaleEdge?: 'long' | 'width' | 'height';
}

/** Qiniu's `wst` values past its default 0 (the short edge), in order. */
const scaleEdges = ['long', 'width', 'height'] as const;

/** `text/<b64>`: text drawn over the source. */
export interface TextMark extends MarkPlacement {
  kind: 'text';
  text: string;
  /** Font family; absent means the system's default sans-serif. */
  font?: string;
  /** Size in twips (1/20 pt), rendered at 72 dpi. */
  fontSize: number;
  fill: Colour;
}

export type WatermarkMark = ImageMark | TextMark;

/** Parsed `watermark/1`, `/2` or `/3`: the marks to draw, in order (later ones on top). */
export interface WatermarkArgs {
  marks: WatermarkMark[];
}

const placementNames = ['dissolve', 'gravity', 'dx', 'dy'] as const;
const imageParamNames = ['image', ...placementNames, 'ws', 'wst'] as const;
const textParamNames = ['text', 'font', 'fontsize', 'fill', ...placementNames] as const;
type ParamName = (typeof imageParamNames)[number] | (typeof textParamNames)[number];
const allParamNames = ['image', 'text', 'font', 'fontsize', 'fill', ...placementNames, 'ws', 'wst'] as const;

// At most six decimals, so that the number's own text never switches to exponent notation.
const wsToken = /^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$/;

function applyParam(at: StepAt, mark: WatermarkMark, name: ParamName, token: string): void {
  const label = paramLabel(name);
  switch (name) {
    case 'dissolve':
      mark.dissolve = parseInteger(at, label, token, 1, 100);
      return;
    case 'gravity':
      mark.gravity = parseGravity(at, label, token);
      return;
    case 'dx':
    case 'dy':
      mark[name] = parseInteger(at, label, token, 0, maxWatermarkOffsetPx);
      return;
    case 'ws':
      if (!wsToken.test(token)) throw stepError(at, `${label} must be a decimal from 0 to 1 with at most 6 decimals, got ${quoteToken(token)}`, token);
      (mark as ImageMark).ws = Number(token);
      return;
    case 'wst': {
      const edge = parseInteger(at, label, token, 0, 3);
      if (edge > 0) (mark as ImageMark).scaleEdge = scaleEdges[edge - 1];
      return;
    }
    case 'font':
      (mark as TextMark).font = decodeBase64Text(at, label, token, 'a font family name', 100);
      if ((mark as TextMark).font!.includes(',')) {
        throw stepError(at, `${label} must name one font family (no commas), got ${quoteToken(token)}`, token);
      }
      return;
    case 'fontsize':
      (mark as TextMark).fontSize = parseInteger(at, label, token, watermarkFontSizeRange.min, watermarkFontSizeRange.max);
      return;
    case 'fill':
      (mark as TextMark).fill = parseEncodedColour(at, label, token);
      return;
    case 'image':
    case 'text':
      throw new Error('unreachable: image and text start a mark');
  }
}

function newMark(at: StepAt, name: 'image' | 'text', token: string, context: ParseContext): WatermarkMark {
  const placement = {
    dissolve: watermarkDefaults.dissolve,
    gravity: watermarkDefaults.gravity,
    dx: watermarkDefaults.dx,
    dy: watermarkDefaults.dy,
  };
  if (name === 'image') {
    return { kind: 'image', image: parseEncodedMarkSource(at, paramLabel('image'), token, context.isOwnHost), ...placement, ws: watermarkDefaults.ws };
  }
  const text = decodeBase64Text(at, paramLabel('text'), token, 'UTF-8 text', maxWatermarkTextChars);
  return { kind: 'text', text, fontSize: watermarkDefaults.fontSizeTwips, fill: { ...watermarkDefaults.fill }, ...placement };
}

/** A mark's parameters that only mean something together with another. */
function checkMark(at: StepAt, mark: WatermarkMark): WatermarkMark {
  if (mark.kind === 'image' && mark.scaleEdge && mark.ws === 0) {
    throw stepError(at, `${paramLabel('wst')} chooses the edge ws scales by, and ws is 0 or absent`, 'wst');
  }
  return mark;
}

/** Modes 1 and 2: one mark, its parameters in any order. */
function readOneMark(at: StepAt, tokens: readonly string[], kind: 'image' | 'text', context: ParseContext): WatermarkMark {
  const names = kind === 'image' ? imageParamNames : textParamNames;
  const raw = readNamedParams(at, tokens, names);
  const start = raw.get(kind);
  if (start === undefined) throw stepError(at, `${paramLabel(kind)} is required`);
  const mark = newMark(at, kind, start, context);
  for (const [name, token] of raw) if (name !== kind) applyParam(at, mark, name, token);
  return checkMark(at, mark);
}

/** Mode 3: `image` and `text` each start a new mark; every other parameter applies to the mark before it. */
function readSeveralMarks(at: StepAt, tokens: readonly string[], context: ParseContext): WatermarkMark[] {
  const marks: WatermarkMark[] = [];
  let given = new Set<string>();
  for (let i = 0; i < tokens.length; i += 2) {
    const name = tokens[i];
    if (!(allParamNames as readonly string[]).includes(name)) {
      throw stepError(at, `unknown ${paramLabel(name)}; expected one of ${allParamNames.join(', ')}`, name);
    }
    if (i + 1 >= tokens.length) throw stepError(at, `${paramLabel(name)} has no value`, name);
    const token = tokens[i + 1];
    if (name === 'image' || name === 'text') {
      if (marks.length >= maxWatermarkMarks) throw stepError(at, `at most ${maxWatermarkMarks} marks are allowed in one step`, name);
      marks.push(newMark(at, name, token, context));
      given = new Set([name]);
      continue;
    }
    const mark = marks.at(-1);
    if (!mark) throw stepError(at, `${paramLabel(name)} must follow the image or text it applies to`, name);
    const allowed: readonly string[] = mark.kind === 'image' ? imageParamNames : textParamNames;
    if (!allowed.includes(name)) {
      throw stepError(at, `${paramLabel(name)} does not apply to a ${mark.kind} mark; expected one of ${allowed.join(', ')}`, name);
    }
    if (given.has(name)) throw stepError(at, `${paramLabel(name)} is given more than once for one mark`, name);
    given.add(name);
    applyParam(at, mark, name as ParamName, token);
  }
  if (marks.length === 0) throw stepError(at, 'at least one image or text mark is required');
  return marks.map((mark) => checkMark(at, mark));
}

function parseWatermark(tokens: string[], stepIndex: number, context: ParseContext = { isOwnHost: everyHostIsOwn }): WatermarkArgs {
  const at: StepAt = { command: 'watermark', stepIndex };
  if (tokens.length === 0) throw stepError(at, 'mode (1 image, 2 text, 3 several) is required as the first value');
  const mode = parseInteger(at, 'mode', tokens[0], 1, 3);
  if (mode === 3) return { marks: readSeveralMarks(at, tokens.slice(1), context) };
  return { marks: [readOneMark(at, tokens.slice(1), mode === 1 ? 'image' : 'text', context)] };
}

function formatMark(mark: WatermarkMark): (string | number)[] {
  const parts: (string | number)[] = [];
  if (mark.kind === 'image') {
    parts.push('image', formatEncodedMarkSource(mark.image));
  } else {
    parts.push('text', encodeBase64Text(mark.text));
    if (mark.font !== undefined) parts.push('font', encodeBase64Text(mark.font));
    if (mark.fontSize !== watermarkDefaults.fontSizeTwips) parts.push('fontsize', mark.fontSize);
    if (!sameColour(mark.fill, watermarkDefaults.fill)) parts.push('fill', formatEncodedColour(mark.fill));
  }
  if (mark.dissolve !== watermarkDefaults.dissolve) parts.push('dissolve', mark.dissolve);
  if (mark.gravity !== watermarkDefaults.gravity) parts.push('gravity', mark.gravity);
  if (mark.dx !== watermarkDefaults.dx) parts.push('dx', mark.dx);
  if (mark.dy !== watermarkDefaults.dy) parts.push('dy', mark.dy);
  if (mark.kind === 'image' && mark.ws !== watermarkDefaults.ws) parts.push('ws', mark.ws);
  if (mark.kind === 'image' && mark.scaleEdge) parts.push('wst', scaleEdges.indexOf(mark.scaleEdge) + 1);
  return parts;
}

function formatWatermark(args: WatermarkArgs): string {
  // One mark in mode 3 means the same as mode 1 or 2, so it shares their canonical text.
  const mode = args.marks.length !== 1 ? 3 : args.marks[0].kind === 'image' ? 1 : 2;
  return ['watermark', mode, ...args.marks.flatMap(formatMark)].join('/');
}

/** `watermark`: draws images (1), text (2) or several of both (3) over the image. */
export const watermarkCommand: CommandSpec<WatermarkArgs> = {
  name: 'watermark',
  family: 'image',
  output: 'media',
  summary: 'Draws an image (1), text (2) or several marks (3) at a gravity anchor, with opacity.',
  parse: parseWatermark,
  format: formatWatermark,
  references: (args) => args.marks.flatMap((mark) => (mark.kind === 'image' && !isOutsideUrl(mark.image) ? [mark.image] : [])),
  fetches: (args) => args.marks.flatMap((mark) => (mark.kind === 'image' && isOutsideUrl(mark.image) ? [mark.image.url] : [])),
};
