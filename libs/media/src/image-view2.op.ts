import { type ImageView2Args, imageMogr2DefaultBackground } from '@fopflow/fop';
import { type MediaOutput, defaultOutputFormat, effectiveQuality, encodeImage } from './image.encoder';
import { keepsFrames } from './image.formats';
import type { ImageLimits } from './image-limits';
import { planImageView2 } from './image-view2.geometry';
import { type ImageInput, unchanged } from './image.input';
import { resizeCrop } from './image.resize-crop';
import { checkOutputSize, decodeImage, orientedSize } from './image.source';
import { MediaError } from './media.errors';
import { inMemoryRun } from './step-run';

/**
 * Runs `imageView2`: one of Qiniu's six thumbnail modes, never enlarging. Without `!`, `q` (75
 * when absent) is capped by a JPEG source's own estimated quality. Animated GIF/WebP keep every
 * frame when written as gif or webp. With ignore-error/1, a source that cannot be processed is
 * answered unchanged (except over a size limit, which stays an error).
 *
 * Unlike imageMogr2, where `auto-orient` must be asked for, imageView2 always turns an
 * EXIF-oriented source upright first, as Qiniu's service does: w/h and the long/short edges refer
 * to the picture as shown, and the result carries no orientation tag (its metadata is dropped).
 */
export async function runImageView2(input: ImageInput, args: ImageView2Args, limits: ImageLimits): Promise<MediaOutput> {
  try {
    const source = await input.probe();
    const plan = planImageView2(orientedSize(source, true), args);
    checkOutputSize(limits, plan.crop ?? plan);
    const format = args.format ?? defaultOutputFormat(source);
    const allFrames = source.animated && keepsFrames(format);
    const crop = plan.crop && {
      left: Math.floor((plan.width - plan.crop.width) / 2),
      top: Math.floor((plan.height - plan.crop.height) / 2),
      width: plan.crop.width,
      height: plan.crop.height,
    };
    const image = resizeCrop(decodeImage(source, limits, allFrames), { upright: true, resize: { width: plan.width, height: plan.height }, crop });
    const requested = args.q !== undefined || args.qForce ? { value: args.q ?? 75, forced: args.qForce } : undefined;
    return await encodeImage(image, format, {
      quality: effectiveQuality(source, format, requested),
      interlace: args.interlace ?? false,
      keepMetadata: false,
      background: imageMogr2DefaultBackground,
      animation: allFrames ? { delay: source.metadata.delay, loop: source.metadata.loop } : undefined,
    });
  } catch (error) {
    if (args.ignoreError && error instanceof MediaError && error.status !== 413) return unchanged(input);
    throw error;
  }
}

/** `imageView2` as the plan executor runs it. */
export const imageView2Run = inMemoryRun('imageView2', runImageView2);
