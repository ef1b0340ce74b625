import type { ImageFormat } from '@fopflow/fop';

/** sharp's name of each output format Fopflow writes; bmp has no encoder in libvips (see bmp.encoder). */
const SHARP_FORMAT: Record<ImageFormat, 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff' | undefined> = {
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
  tiff: 'tiff',
  bmp: undefined,
};

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  heif: 'image/heif',
  gif: 'image/gif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
};

/** Fopflow's format name of a format sharp read, if Fopflow can also write it. */
export function writableFormat(sharpFormat: string | undefined): ImageFormat | undefined {
  const entry = Object.entries(SHARP_FORMAT).find(([, value]) => value !== undefined && value === sharpFormat);
  return entry?.[0] as ImageFormat | undefined;
}

/** sharp's encoder name for a Fopflow format; undefined when none exists. */
export function sharpEncoder(format: ImageFormat): (typeof SHARP_FORMAT)[ImageFormat] {
  return SHARP_FORMAT[format];
}

/** MIME type of a format named as sharp names it. */
export function mimeOf(sharpFormat: string | undefined): string {
  return (sharpFormat && MIME[sharpFormat]) || 'application/octet-stream';
}

/** Formats that keep an alpha channel; the others are flattened onto a background. */
export function keepsAlpha(format: ImageFormat): boolean {
  return format !== 'jpg' && format !== 'bmp';
}

/** Formats that can hold several frames (an animation). */
export function keepsFrames(format: ImageFormat): boolean {
  return format === 'gif' || format === 'webp';
}

const signatures: readonly [string, (b: Buffer) => boolean][] = [
  ['image/jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['image/png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['image/gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
  ['image/webp', (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP'],
  ['image/tiff', (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1'))],
  ['image/bmp', (b) => b.subarray(0, 2).toString('latin1') === 'BM'],
  ['image/avif', (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^avi[fs]$/.test(b.subarray(8, 12).toString('latin1'))],
  ['image/heif', (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^(heic|heix|mif1|msf1)$/.test(b.subarray(8, 12).toString('latin1'))],
];

/** MIME type of image bytes from their magic number, for answers that return a source unchanged. */
export function sniffImageMime(data: Buffer): string {
  return signatures.find(([, matches]) => matches(data))?.[0] ?? 'application/octet-stream';
}
