import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import {
  StepAt,
  parseChoice,
  parseFlag,
  parseForcedInteger,
  parseInteger,
  paramLabel,
  readNamedParams,
  stepError,
} from './params';

/** Output formats imageView2 and imageMogr2 may convert to, in the order messages list them. */
export const imageFormats = ['jpg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp'] as const;

/** Output formats imageView2 may convert to; `jpeg` is accepted as input and read as `jpg`. */
export type ImageFormat = (typeof imageFormats)[number];

/** Accepted spellings of a format that are not its canonical name. */
export const imageFormatAliases: Readonly<Record<string, ImageFormat>> = { jpeg: 'jpg' };

/** Quality used when `q` is absent, as Qiniu documents; `q/75` means the same and is folded away. */
export const imageView2DefaultQuality = 75;

/** Largest `w` or `h`, in pixels: Qiniu bounds every output side to 9999 px. */
const maxEdgePx = 9999;

// Order of the canonical text; parameters may be written in any order.
const paramNames = ['w', 'h', 'format', 'interlace', 'q', 'ignore-error'] as const;

/** Parsed `imageView2/<mode>/...`; see the mode table in the Qiniu reference. */
export interface ImageView2Args {
  /** Fit mode 0–5. */
  mode: 0 | 1 | 2 | 3 | 4 | 5;
  /** Target width in px (1–9999); at least one of w and h is present. */
  w?: number;
  /** Target height in px (1–9999). */
  h?: number;
  /** Quality 1–100; absent means imageView2DefaultQuality, so an explicit unforced 75 is folded to absent. */
  q?: number;
  /** `q/<n>!`: use q even when it exceeds the source's own quality. */
  qForce: boolean;
  /** Output format; absent keeps the source's. */
  format?: ImageFormat;
  /** Progressive/interlaced output; only `true` is kept, since `interlace/0` is the default. */
  interlace?: boolean;
  /** `ignore-error/1`: answer the source unchanged when processing fails. */
  ignoreError: boolean;
}

function parseImageView2(tokens: string[], stepIndex: number): ImageView2Args {
  const at: StepAt = { command: 'imageView2', stepIndex };
  if (tokens.length === 0) throw stepError(at, 'mode (0 to 5) is required as the first value');
  const mode = parseInteger(at, 'mode', tokens[0], 0, 5) as ImageView2Args['mode'];
  const raw = readNamedParams(at, tokens.slice(1), paramNames);
  const int = (name: 'w' | 'h') => {
    const token = raw.get(name);
    return token === undefined ? undefined : parseInteger(at, paramLabel(name), token, 1, maxEdgePx);
  };
  const w = int('w');
  const h = int('h');
  if (w === undefined && h === undefined) {
    throw stepError(at, `at least one of parameters 'w' and 'h' is required`);
  }
  // Absent keys stay absent, so equal meanings give deep-equal args, not just equal text.
  const args: ImageView2Args = { mode, qForce: false, ignoreError: false };
  if (w !== undefined) args.w = w;
  if (h !== undefined) args.h = h;

  const format = raw.get('format');
  if (format !== undefined) {
    args.format = parseChoice(at, paramLabel('format'), format, imageFormats, imageFormatAliases);
  }
  const interlace = raw.get('interlace');
  if (interlace !== undefined && parseFlag(at, paramLabel('interlace'), interlace)) args.interlace = true;
  const quality = raw.get('q');
  if (quality !== undefined) {
    const { value, forced } = parseForcedInteger(at, paramLabel('q'), quality, 1, 100);
    // An absent q means 75 unforced, so `q/75` is the same request and must share its cache key.
    if (forced || value !== imageView2DefaultQuality) args.q = value;
    args.qForce = forced;
  }
  const ignoreError = raw.get('ignore-error');
  if (ignoreError !== undefined) {
    // Only `1` exists in Qiniu's grammar; `ignore-error/0` is more likely a typo than a request.
    args.ignoreError = parseInteger(at, paramLabel('ignore-error'), ignoreError, 1, 1) === 1;
  }
  return args;
}

function formatImageView2(args: ImageView2Args): string {
  const parts: (string | number)[] = ['imageView2', args.mode];
  if (args.w !== undefined) parts.push('w', args.w);
  if (args.h !== undefined) parts.push('h', args.h);
  if (args.format !== undefined) parts.push('format', args.format);
  if (args.interlace) parts.push('interlace', 1);
  // Hand-built args may force quality without naming it; that forces the default.
  const quality = args.q ?? (args.qForce ? imageView2DefaultQuality : undefined);
  if (quality !== undefined && (args.qForce || quality !== imageView2DefaultQuality)) {
    parts.push('q', `${quality}${args.qForce ? '!' : ''}`);
  }
  if (args.ignoreError) parts.push('ignore-error', 1);
  return parts.join('/');
}

/** `imageView2`: thumbnail by one of six fit modes, optional format, quality and interlace. */
export const imageView2Command: CommandSpec<ImageView2Args> = {
  name: 'imageView2',
  family: 'image',
  output: 'media',
  summary: 'Thumbnail by one of six fit modes (0-5), with optional format, quality and interlace.',
  parse: parseImageView2,
  format: formatImageView2,
  references: readsOnlyItsInput,
};
