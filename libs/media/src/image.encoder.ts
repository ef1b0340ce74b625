import { type Colour, type ImageFormat } from '@fopflow/fop';
import type { Sharp } from 'sharp';
import { encodeBmp } from './bmp.encoder';
import { keepsAlpha, mimeOf, sharpEncoder, writableFormat } from './image.formats';
import { type SourceImage, describeError } from './image.source';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaError } from './media.errors';

/** Bytes a step produced and their MIME type. */
export interface MediaOutput {
  data: Buffer;
  mime: string;
}

/** How to write an image. */
export interface EncodeOptions {
  /** 1–100, for jpg, webp and avif. */
  quality: number;
  /** Progressive jpg, interlaced png and gif. */
  interlace: boolean;
  /** Keep EXIF, ICC and XMP (imageMogr2 without `strip`); otherwise they are dropped. */
  keepMetadata: boolean;
  /** Fill under transparent pixels when the format has no alpha (jpg, bmp). */
  background: Colour;
  /** Set when every frame of an animation is written: delays in ms and loop count, from the source. */
  animation?: { delay?: number[]; loop?: number };
}

/** Quality when a command names none (Qiniu: 75). */
export const defaultImageQuality = 75;

/** Formats whose size depends on a quality setting. */
export function isLossy(format: ImageFormat): boolean {
  return format === 'jpg' || format === 'webp' || format === 'avif';
}

/** The source's format when Fopflow can write it, else png for images with alpha and jpg otherwise. */
export function defaultOutputFormat(source: SourceImage): ImageFormat {
  return writableFormat(source.format) ?? (source.hasAlpha ? 'png' : 'jpg');
}

/**
 * Qiniu's quality rule: the requested quality (default 75), but without `!` never above the
 * source's own, which for a JPEG source written as JPEG is estimated from its quantization
 * tables (see jpeg-quality.ts). Other pairs of formats have no comparable quality to cap by.
 */
export function effectiveQuality(
  source: SourceImage,
  format: ImageFormat,
  requested: { value: number; forced: boolean } | undefined,
): number {
  const quality = requested?.value ?? defaultImageQuality;
  if (requested?.forced || source.format !== 'jpeg' || format !== 'jpg') return quality;
  return Math.min(quality, estimateJpegQuality(source.head) ?? quality);
}

const rgba = (c: Colour) => ({ r: c.r, g: c.g, b: c.b, alpha: c.a / 255 });

/** Encodes `image` as `format`; a libvips failure here means the source could not be decoded (400). */
export async function encodeImage(image: Sharp, format: ImageFormat, options: EncodeOptions): Promise<MediaOutput> {
  const { quality, interlace, animation } = options;
  if (!keepsAlpha(format)) image = image.flatten({ background: rgba(options.background) });
  if (options.keepMetadata) image = image.keepMetadata();
  const frames = { delay: animation?.delay, loop: animation?.loop };
  try {
    if (format === 'bmp') {
      const { data, info } = await image.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data: encodeBmp(data, info.width, info.height), mime: mimeOf('bmp') };
    }
    const encoder = sharpEncoder(format);
    const encoded =
      encoder === 'jpeg'
        ? image.jpeg({ quality, progressive: interlace, mozjpeg: false })
        : encoder === 'png'
          ? image.png({ progressive: interlace })
          : encoder === 'gif'
            ? image.gif({ progressive: interlace, ...(animation ? frames : {}) })
            : encoder === 'webp'
              ? image.webp({ quality, ...(animation ? frames : {}) })
              : encoder === 'tiff'
                ? image.tiff({ compression: 'lzw' })
                : image.avif({ quality });
    return { data: await encoded.toBuffer(), mime: mimeOf(encoder) };
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new MediaError(400, `source image could not be decoded (${describeError(error)})`);
  }
}
