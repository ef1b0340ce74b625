import { type Colour, type ImageFormat, type ImageMogr2Args, type SizeLimit, imageMogr2DefaultBackground } from '@fopflow/fop';
import sharp, { type BlurOptions, type Sharp } from 'sharp';
import { rotateEachFrame } from './animation.frames';
import type { Rect, Size } from './gravity.placement';
import { type MediaOutput, defaultOutputFormat, effectiveQuality, encodeImage, isLossy } from './image.encoder';
import { keepsFrames } from './image.formats';
import type { ImageLimits } from './image-limits';
import { planCrop, planThumbnail, rotatedSize } from './image-mogr2.plan';
import { type ImageInput, unchanged } from './image.input';
import { resizeCrop } from './image.resize-crop';
import { type SourceImage, checkOutputSize, decodeImage, decoding, orientedSize } from './image.source';
import { MediaError } from './media.errors';
import { inMemoryRun } from './step-run';

/** Geometry of one run, worked out from the header before any pixel is decoded. */
interface Mogr2Plan {
  format: ImageFormat;
  /** Every frame of an animation is kept (gif or webp in, gif or webp out). */
  allFrames: boolean;
  resize?: Size;
  crop?: Rect;
  rotate?: number;
  background: Colour;
}

function plan(source: SourceImage, args: ImageMogr2Args, limits: ImageLimits): Mogr2Plan {
  const format = args.format ?? defaultOutputFormat(source);
  const result: Mogr2Plan = {
    format,
    allFrames: source.animated && keepsFrames(format),
    background: args.background ?? imageMogr2DefaultBackground,
  };
  let size = orientedSize(source, args.autoOrient ?? false);
  if (args.thumbnail) {
    // Checked here too, though a crop may follow: an enlarged intermediate must not be decoded.
    size = result.resize = planThumbnail(size, args.thumbnail);
    checkOutputSize(limits, size);
  }
  if (args.crop) {
    const crop = planCrop(size, args.crop, args.gravity ?? 'NorthWest');
    if (!crop) {
      throw new MediaError(400, `crop region lies outside the ${size.width}x${size.height} image (gravity ${args.gravity ?? 'NorthWest'})`);
    }
    size = result.crop = crop;
  }
  if (args.rotate) {
    result.rotate = args.rotate;
    size = rotatedSize(size, args.rotate);
  }
  checkOutputSize(limits, size);
  return result;
}

/**
 * The rotation stage. libvips runs a pipeline's geometry in its own order, so a rotation after
 * a resize or crop starts from their materialised result: an uncompressed TIFF for still images
 * (it carries EXIF and ICC along), raw frames for animations, which are rotated one by one.
 */
async function rotated(image: Sharp, plan: Mogr2Plan, keepMetadata: boolean): Promise<Sharp> {
  const degrees = plan.rotate!;
  const background = { r: plan.background.r, g: plan.background.g, b: plan.background.b, alpha: plan.background.a / 255 };
  // libvips would turn the whole stack of frames, reversing their order even at 180°.
  if (plan.allFrames) return rotateEachFrame(image, degrees, plan.background);
  if (!plan.resize && !plan.crop) return image.rotate(degrees, { background });
  const staged = keepMetadata ? image.keepMetadata() : image;
  const intermediate = await staged.tiff({ compression: 'none' }).toBuffer();
  return sharp(intermediate).rotate(degrees, { background });
}

/** The gaussian kernel reaches `radius` px: libvips stops the mask where it falls below minAmplitude. */
function blurOptions({ radius, sigma }: { radius: number; sigma: number }): BlurOptions {
  const minAmplitude = Math.min(0.999, Math.max(0.001, Math.exp(-(radius * radius) / (2 * sigma * sigma))));
  return { sigma: Math.max(0.3, sigma), minAmplitude };
}

/**
 * `size-limit`: for lossy formats, the highest quality (at most the planned one) whose result
 * fits, by binary search; if even quality 1 does not fit, the smallest result. Lossless formats
 * are encoded once. With `!`, the source itself is answered unless the result is smaller.
 * `$(fsize)` is the size of the image this step reads: in a pipeline, the previous step's result,
 * the same bytes `!` compares with.
 */
async function withinSizeLimit(
  encode: (quality: number) => Promise<MediaOutput>,
  format: ImageFormat,
  quality: number,
  limit: SizeLimit,
  input: { size: number; bytes(): Promise<Buffer> },
): Promise<MediaOutput> {
  const limitBytes = limit.bytes === 'source' ? input.size : limit.bytes;
  let best = await encode(quality);
  if (isLossy(format) && best.data.length > limitBytes) {
    let fitting: MediaOutput | undefined;
    let low = 1;
    let high = quality - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const attempt = await encode(middle);
      if (attempt.data.length <= limitBytes) {
        fitting = attempt;
        low = middle + 1;
      } else {
        if (attempt.data.length < best.data.length) best = attempt;
        high = middle - 1;
      }
    }
    best = fitting ?? best;
  }
  if (limit.keepSmaller && best.data.length >= input.size) return unchanged(input);
  return best;
}

/**
 * Runs `imageMogr2` on `input`: options apply in Qiniu's fixed order, whatever order the URL gave.
 * With ignore-error/1 a source that cannot be processed is answered unchanged, except over a limit.
 */
export async function runImageMogr2(input: ImageInput, args: ImageMogr2Args, limits: ImageLimits): Promise<MediaOutput> {
  try {
    return await transform(input, args, limits);
  } catch (error) {
    // Qiniu's ignore-error/1: what cannot be processed is answered as it is; a limit stays an error.
    if (args.ignoreError && error instanceof MediaError && error.status !== 413) return unchanged(input);
    throw error;
  }
}

async function transform(input: ImageInput, args: ImageMogr2Args, limits: ImageLimits): Promise<MediaOutput> {
  const source = await input.probe();
  const planned = plan(source, args, limits);
  const keepMetadata = !args.strip;

  let image = resizeCrop(decodeImage(source, limits, planned.allFrames), { upright: args.autoOrient ?? false, resize: planned.resize, crop: planned.crop });
  if (planned.rotate) image = await decoding('source image', () => rotated(image, planned, keepMetadata));
  if (args.blur) image = image.blur(blurOptions(args.blur));
  if (args.sharpen) image = image.sharpen();

  const quality = effectiveQuality(source, planned.format, args.quality);
  const animation = planned.allFrames ? { delay: source.metadata.delay, loop: source.metadata.loop } : undefined;
  const pipeline = image;
  const encode = (q: number) =>
    encodeImage(pipeline.clone(), planned.format, {
      quality: q,
      interlace: args.interlace ?? false,
      keepMetadata,
      background: planned.background,
      animation,
    });
  if (!args.sizeLimit) return encode(quality);
  return withinSizeLimit(encode, planned.format, quality, args.sizeLimit, { size: source.size, bytes: input.bytes });
}

/** `imageMogr2` as the plan executor runs it. */
export const imageMogr2Run = inMemoryRun('imageMogr2', runImageMogr2);
