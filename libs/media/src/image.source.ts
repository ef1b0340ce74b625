import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageLimits } from './image-limits';
import type { Size } from './gravity.placement';
import { readJpegHead } from './jpeg-head.reader';
import { MediaError } from './media.errors';

/** Where a source's bytes are: in memory, or in a local file of known size. */
export type ImageBytes = Buffer | { path: string; size: number };

/** What the header of a source image says, checked against the limits before anything is decoded. */
export interface SourceImage {
  /** What sharp decodes: the bytes, or the path of the file that holds them. */
  input: Buffer | string;
  /** Size of the source in bytes. */
  size: number;
  /** The bytes before a JPEG's first scan, where its quantization tables are (all of a source in memory; empty for other formats read from a file). */
  head: Buffer;
  metadata: Metadata;
  /** sharp's name of the format it read (`jpeg`, `png`, `gif`, ...). */
  format: string | undefined;
  /** Width of one frame, px. */
  width: number;
  /** Height of one frame, px. */
  height: number;
  /** Frames (pages) in the file; 1 for still images. */
  frames: number;
  /** A GIF or WebP with more than one frame. */
  animated: boolean;
  hasAlpha: boolean;
}

/** Formats whose frames make an animation (a multi-page TIFF is a document, not a movie). */
const animatedFormats = new Set(['gif', 'webp']);

/**
 * Reads the header of `input` and refuses, before decoding, what is no image (415), has more
 * than maxFrames frames or more than maxInputPixels pixels over all its frames (413).
 */
export async function probeImage(bytes: ImageBytes, limits: ImageLimits): Promise<SourceImage> {
  const input = Buffer.isBuffer(bytes) ? bytes : bytes.path;
  let metadata: Metadata;
  try {
    // Header only; sharp's own pixel limit is off here so that our limit, not its, names the problem.
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new MediaError(415, `source is not a supported image (${describeError(error)})`);
  }
  const { width, format } = metadata;
  // Without `animated`, sharp reports the height of one page and the page count separately.
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height) throw new MediaError(415, 'source image has no dimensions');
  const frames = Math.max(1, metadata.pages ?? 1);
  if (frames > limits.maxFrames) {
    throw new MediaError(413, `source image has ${frames} frames, over maxFrames ${limits.maxFrames}`);
  }
  const pixels = width * height * frames;
  if (pixels > limits.maxInputPixels) {
    const framesText = frames > 1 ? ` × ${frames} frames` : '';
    throw new MediaError(
      413,
      `source image is ${width}x${height}${framesText} (${pixels} pixels), over maxInputPixels ${limits.maxInputPixels}`,
    );
  }
  return {
    input,
    size: Buffer.isBuffer(bytes) ? bytes.length : bytes.size,
    head: Buffer.isBuffer(bytes) ? bytes : format === 'jpeg' ? await readJpegHead(bytes.path, bytes.size) : Buffer.alloc(0),
    metadata,
    format,
    width,
    height,
    frames,
    animated: frames > 1 && animatedFormats.has(format ?? ''),
    hasAlpha: metadata.hasAlpha ?? false,
  };
}

/**
 * The frame's size as shown: EXIF orientations 5–8 turn the image a quarter, swapping its sides,
 * once the pixels are turned upright (`upright`); otherwise the size as stored.
 */
export function orientedSize(source: SourceImage, upright: boolean): Size {
  const swap = upright && (source.metadata.orientation ?? 1) >= 5;
  return swap ? { width: source.height, height: source.width } : { width: source.width, height: source.height };
}

/** A decoder for a probed source: every frame when `allFrames`, else the first one. */
export function decodeImage(source: SourceImage, limits: ImageLimits, allFrames: boolean): Sharp {
  const animated = allFrames && source.animated;
  return sharp(source.input, { limitInputPixels: limits.maxInputPixels, animated, pages: animated ? -1 : 1 });
}

/** Refuses a result frame over the output bounds (Qiniu: 9999 px a side, 25 MP) with 413. */
export function checkOutputSize(limits: ImageLimits, size: Size): void {
  const { maxOutputSidePx, maxOutputPixels } = limits;
  const { width, height } = size;
  if (width > maxOutputSidePx || height > maxOutputSidePx || width * height > maxOutputPixels) {
    throw new MediaError(
      413,
      `result ${width}x${height} is over the output bounds (maxOutputSidePx ${maxOutputSidePx}, maxOutputPixels ${maxOutputPixels})`,
    );
  }
}

/** The first line of an error's message, for wrapping libvips errors into MediaErrors. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** Runs sharp work on a probed source; a libvips failure there means corrupt pixel data (400). */
export async function decoding<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new MediaError(400, `${what} could not be decoded (${describeError(error)})`);
  }
}
