import { type Colour, formatEncodedColour, parseEncodedColour, sameColour } from './colour.params';
import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { type Gravity, parseGravity } from './gravity.params';
import {
  type CropGeometry,
  type ThumbnailGeometry,
  formatCropGeometry,
  formatThumbnailGeometry,
  isIdentityThumbnail,
  parseCropGeometry,
  parseThumbnailGeometry,
} from './image-mogr2.geometry';
import { type ImageFormat, imageFormatAliases, imageFormats } from './image-view2.command';
import { StepAt, paramLabel, parseChoice, parseFlag, parseForcedInteger, parseInteger, quoteToken, stepError } from './params';

/** Quality used when `quality` is absent (Qiniu: 75); an unforced `quality/75` is folded away. */
export const imageMogr2DefaultQuality = 75;
/** Background used where one is needed and none is given (Qiniu: white). */
export const imageMogr2DefaultBackground: Readonly<Colour> = Object.freeze({ r: 255, g: 255, b: 255, a: 255 });
/** Largest `size-limit`, in bytes (1024m). */
export const maxSizeLimitBytes = 1024 * 1024 * 1024;

// Qiniu's fixed order: options may be written in any order, they are applied (and written in
// canonical text) in this one.
const optionNames = [
  'auto-orient',
  'thumbnail',
  'strip',
  'gravity',
  'crop',
  'rotate',
  'format',
  'blur',
  'interlace',
  'quality',
  'size-limit',
  'sharpen',
  'background',
  'ignore-error',
] as const;
type OptionName = (typeof optionNames)[number];
const switchOptions: ReadonlySet<OptionName> = new Set(['auto-orient', 'strip']);

/**
 * Parsed `imageMogr2/...`. Every key is absent unless it changes the result, so two spellings of
 * the same request give deep-equal args (and the same canonical text).
 */
export interface ImageMogr2Args {
  /** `auto-orient`: rotate upright by the EXIF Orientation tag first. */
  autoOrient?: true;
  thumbnail?: ThumbnailGeometry;
  /** `strip`: drop EXIF, ICC and other metadata; without it metadata is kept. */
  strip?: true;
  /** Anchor of `crop`; kept only with a crop and when not the default NorthWest. */
  gravity?: Gravity;
  crop?: CropGeometry;
  /** Clockwise degrees, 1–359 (360 is folded away). */
  rotate?: number;
  /** Output format; absent keeps the source's. */
  format?: ImageFormat;
  /** Gaussian blur: radius 1–50 px (the kernel's reach) and sigma 1–50. */
  blur?: { radius: number; sigma: number };
  /** Progressive (jpg) or interlaced (png, gif) output. */
  interlace?: true;
  /** Quality 1–100; `forced` is Qiniu's `!`: use it even above the source's own quality. */
  quality?: { value: number; forced: boolean };
  /** Output byte limit; `keepSmaller` is Qiniu's `!`: answer the source when it is not larger. */
  sizeLimit?: SizeLimit;
  /** `sharpen/1`. */
  sharpen?: true;
  /** Fill for rotation corners and for flattening alpha; absent means white. */
  background?: Colour;
  /** `ignore-error/1`: a source that cannot be processed is answered unchanged (Qiniu's rule). */
  ignoreError?: true;
}

/**
 * `size-limit`'s value. `bytes: 'source'` is Qiniu's `$(fsize)`: the size of the image the step
 * reads, known only at run time (so the canonical text keeps the variable, not a number).
 */
export interface SizeLimit {
  bytes: number | 'source';
  keepSmaller: boolean;
}

/** Qiniu's magic variable for the source's size, as written in `size-limit/$(fsize)`. */
export const sourceSizeVariable = '$(fsize)';

/** Reads options in any order: `auto-orient` and `strip` stand alone, every other one takes a value. */
function readOptions(at: StepAt, tokens: readonly string[]): Map<OptionName, string> {
  const values = new Map<OptionName, string>();
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i];
    if (!(optionNames as readonly string[]).includes(name)) {
      throw stepError(at, `unknown option ${quoteToken(name)}; expected one of ${optionNames.join(', ')}`, name);
    }
    const option = name as OptionName;
    if (values.has(option)) throw stepError(at, `option ${quoteToken(name)} is given more than once`, name);
    if (switchOptions.has(option)) {
      values.set(option, '');
      continue;
    }
    if (i + 1 >= tokens.length) throw stepError(at, `${paramLabel(name)} has no value`, name);
    values.set(option, tokens[++i]);
  }
  return values;
}

const sizeLimitToken = /^([0-9]+)([km]?)(!?)$/;
const sourceSizeToken = /^\$\(fsize\)(!?)$/;
const unitBytes = { '': 1, k: 1024, m: 1024 * 1024 } as const;

/**
 * The gateway percent-decodes a URL's fop once, so `%24(fsize)` arrives as `$(fsize)`; a fop
 * encoded once more (a form field or JSON value that was itself already escaped) is read too.
 */
function sourceSizeMatch(token: string): RegExpExecArray | null {
  const plain = sourceSizeToken.exec(token);
  if (plain || !token.includes('%')) return plain;
  try {
    return sourceSizeToken.exec(decodeURIComponent(token));
  } catch {
    return null;
  }
}

function parseSizeLimit(at: StepAt, token: string): SizeLimit {
  const fromSource = sourceSizeMatch(token);
  if (fromSource) return { bytes: 'source', keepSmaller: fromSource[1] === '!' };
  const match = sizeLimitToken.exec(token);
  const bytes = match ? Number(match[1]) * unitBytes[match[2] as keyof typeof unitBytes] : NaN;
  if (!match || !(bytes >= 1 && bytes <= maxSizeLimitBytes)) {
    throw stepError(
      at,
      `${paramLabel('size-limit')} must be a byte count from 1 to ${maxSizeLimitBytes} (1024m), ` +
        `optionally followed by k or m, or ${sourceSizeVariable} (the source's size); then optionally '!', got ${quoteToken(token)}`,
      token,
    );
  }
  return { bytes, keepSmaller: match[3] === '!' };
}

function formatSizeLimit({ bytes, keepSmaller }: SizeLimit): string {
  const bang = keepSmaller ? '!' : '';
  if (bytes === 'source') return `${sourceSizeVariable}${bang}`;
  if (bytes % unitBytes.m === 0) return `${bytes / unitBytes.m}m${bang}`;
  if (bytes % unitBytes.k === 0) return `${bytes / unitBytes.k}k${bang}`;
  return `${bytes}${bang}`;
}

// Qiniu: the radius is 1–50; the sigma (a standard deviation) need only be above 0, so it may be
// fractional. Two decimals are plenty for a blur, and keep one meaning to one canonical text.
const blurToken = /^([0-9]+)x([0-9]+(?:\.[0-9]{1,2})?)$/;

function parseBlur(at: StepAt, token: string): { radius: number; sigma: number } {
  const match = blurToken.exec(token);
  const radius = match ? Number(match[1]) : NaN;
  const sigma = match ? Number(match[2]) : NaN;
  if (!(radius >= 1 && radius <= 50 && sigma > 0 && sigma <= 50)) {
    throw stepError(
      at,
      `${paramLabel('blur')} must be <radius>x<sigma>: radius an integer from 1 to 50, sigma above 0 and at most 50 (two decimals at most), got ${quoteToken(token)}`,
      token,
    );
  }
  return { radius, sigma };
}

function parseImageMogr2(tokens: string[], stepIndex: number): ImageMogr2Args {
  const at: StepAt = { command: 'imageMogr2', stepIndex };
  const raw = readOptions(at, tokens);
  const value = (name: OptionName) => raw.get(name);
  const label = paramLabel;
  const args: ImageMogr2Args = {};

  if (raw.has('auto-orient')) args.autoOrient = true;
  const thumbnail = value('thumbnail');
  if (thumbnail !== undefined) {
    const geometry = parseThumbnailGeometry(at, label('thumbnail'), thumbnail);
    if (!isIdentityThumbnail(geometry)) args.thumbnail = geometry;
  }
  if (raw.has('strip')) args.strip = true;
  const gravityToken = value('gravity');
  const gravity = gravityToken === undefined ? undefined : parseGravity(at, label('gravity'), gravityToken);
  const crop = value('crop');
  if (crop !== undefined) {
    args.crop = parseCropGeometry(at, label('crop'), crop);
    // Gravity only moves a crop (Qiniu: "only affects the crop that follows"); NorthWest is the default.
    if (gravity !== undefined && gravity !== 'NorthWest') args.gravity = gravity;
  }
  const rotate = value('rotate');
  if (rotate !== undefined) {
    const degrees = parseInteger(at, label('rotate'), rotate, 1, 360);
    if (degrees !== 360) args.rotate = degrees;
  }
  const format = value('format');
  if (format !== undefined) args.format = parseChoice(at, label('format'), format, imageFormats, imageFormatAliases);
  const blur = value('blur');
  if (blur !== undefined) args.blur = parseBlur(at, blur);
  const interlace = value('interlace');
  if (interlace !== undefined && parseFlag(at, label('interlace'), interlace)) args.interlace = true;
  const quality = value('quality');
  if (quality !== undefined) {
    const { value: q, forced } = parseForcedInteger(at, label('quality'), quality, 1, 100);
    if (forced || q !== imageMogr2DefaultQuality) args.quality = { value: q, forced };
  }
  const sizeLimit = value('size-limit');
  if (sizeLimit !== undefined) args.sizeLimit = parseSizeLimit(at, sizeLimit);
  const sharpen = value('sharpen');
  if (sharpen !== undefined && parseFlag(at, label('sharpen'), sharpen)) args.sharpen = true;
  const background = value('background');
  if (background !== undefined) {
    const colour = parseEncodedColour(at, label('background'), background);
    if (!sameColour(colour, imageMogr2DefaultBackground)) args.background = colour;
  }
  const ignoreError = value('ignore-error');
  if (ignoreError !== undefined && parseFlag(at, label('ignore-error'), ignoreError)) args.ignoreError = true;
  return args;
}

function formatImageMogr2(args: ImageMogr2Args): string {
  const parts: (string | number)[] = ['imageMogr2'];
  if (args.autoOrient) parts.push('auto-orient');
  if (args.thumbnail && !isIdentityThumbnail(args.thumbnail)) parts.push('thumbnail', formatThumbnailGeometry(args.thumbnail));
  if (args.strip) parts.push('strip');
  if (args.crop) {
    if (args.gravity && args.gravity !== 'NorthWest') parts.push('gravity', args.gravity);
    parts.push('crop', formatCropGeometry(args.crop));
  }
  if (args.rotate !== undefined && args.rotate % 360 !== 0) parts.push('rotate', args.rotate);
  if (args.format) parts.push('format', args.format);
  if (args.blur) parts.push('blur', `${args.blur.radius}x${args.blur.sigma}`);
  if (args.interlace) parts.push('interlace', 1);
  if (args.quality && (args.quality.forced || args.quality.value !== imageMogr2DefaultQuality)) {
    parts.push('quality', `${args.quality.value}${args.quality.forced ? '!' : ''}`);
  }
  if (args.sizeLimit) parts.push('size-limit', formatSizeLimit(args.sizeLimit));
  if (args.sharpen) parts.push('sharpen', 1);
  if (args.background && !sameColour(args.background, imageMogr2DefaultBackground)) {
    parts.push('background', formatEncodedColour(args.background));
  }
  if (args.ignoreError) parts.push('ignore-error', 1);
  return parts.join('/');
}

/** `imageMogr2`: Qiniu's advanced transform: thumbnail, crop, rotate, blur, format, quality and more. */
export const imageMogr2Command: CommandSpec<ImageMogr2Args> = {
  name: 'imageMogr2',
  family: 'image',
  output: 'media',
  summary: 'Orient, thumbnail, crop, rotate, blur, sharpen and convert an image; options apply in a fixed order.',
  parse: parseImageMogr2,
  format: formatImageMogr2,
  references: readsOnlyItsInput,
};
