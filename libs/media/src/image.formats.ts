import type { ImageFormat } from '@fopflow/fop';

/** sharp's name of each output format Fopflow writes; bmp has no encoder in libvips. */
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
