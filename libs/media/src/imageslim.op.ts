import type { ImageslimArgs } from '@fopflow/fop';
import type { MediaOutput } from './image.encoder';
import { mimeOf } from './image.formats';
import type { ImageLimits } from './image-limits';
import type { ImageInput } from './image.input';
import { decodeImage, decoding, type SourceImage } from './image.source';
import { estimateJpegQuality } from './jpeg-quality';
import { inMemoryRun } from './step-run';

/** JPEG quality imageslim aims at for a zlevel: 90 at 0, 78 at Qiniu's default 3, 50 at 10. */
export const slimJpegQuality = (zlevel: number) => 90 - 4 * zlevel;

/** Palette quality (libimagequant's 0–100) for a zlevel: 100 at 0, 85 at 3, 50 at 10. */
export const slimPaletteQuality = (zlevel: number) => 100 - 5 * zlevel;

/** How hard the PNG encoder works for size (sharp's effort, 1–10): slimming is worth the time. */
const slimPngEffort = 8;

/**
 * Runs `imageslim`: re-encodes a JPEG with mozjpeg (trellis quantisation, optimised progressive
 * scans) at no higher a quality than the source's own, and a PNG with a quantised palette, both
 * at the same size, format and EXIF orientation (the pixels are not rotated; the tag is kept).
 * Anything else — other formats, animations, and a result that is not smaller — answers the
 * input unchanged, as Qiniu's service answers the original when slimming does not pay.
 */
export async function runImageslim(input: ImageInput, args: ImageslimArgs, limits: ImageLimits): Promise<MediaOutput> {
  const source = await input.probe();
  const mime = mimeOf(source.format);
  if (source.animated || (source.format !== 'jpeg' && source.format !== 'png')) return { data: await input.bytes(), mime };
  const slim = await decoding('source image', () => encodeSlim(source, args.zlevel, limits));
  return { data: slim.length < source.size ? slim : await input.bytes(), mime };
}

export const imageslimRun = inMemoryRun('imageslim', runImageslim);

function encodeSlim(source: SourceImage, zlevel: number, limits: ImageLimits): Promise<Buffer> {
  let image = decodeImage(source, limits, false).keepIccProfile();
  // Kept as a tag, not applied: the slim file must show exactly as the original does.
  if (source.metadata.orientation) image = image.withMetadata({ orientation: source.metadata.orientation });
  if (source.format === 'png') return image.png({ palette: true, quality: slimPaletteQuality(zlevel), effort: slimPngEffort, compressionLevel: 9 }).toBuffer();
  const quality = Math.min(slimJpegQuality(zlevel), estimateJpegQuality(source.head) ?? 100);
  return image.jpeg({ mozjpeg: true, quality }).toBuffer();
}
