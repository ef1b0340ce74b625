import { type ImageMark, type MarkSource, type WatermarkArgs, imageMogr2DefaultBackground, isOutsideUrl } from '@fopflow/fop';
import sharp, { type Sharp } from 'sharp';
import { type FrameOverlay, overlaysOnEveryFrame } from './animation.frames';
import { type Size, clipToFrame, placeWithMargin } from './gravity.placement';
import { type MediaOutput, defaultImageQuality, defaultOutputFormat, encodeImage } from './image.encoder';
import { keepsFrames } from './image.formats';
import type { ImageLimits } from './image-limits';
import type { ImageInput } from './image.input';
import { decodeImage, decoding, probeImage } from './image.source';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaError } from './media.errors';
import { renderTextMark } from './text-mark.renderer';
import { inMemoryRun } from './step-run';

/** What a step may read besides its input; the runner provides it and bounds what it reads. */
export interface ImageStepContext {
  /** Bytes of one of our stored objects (a watermark image); rejects when it is missing or too large. */
  loadObject(bucket: string, key: string): Promise<Buffer>;
  /** Bytes at an outside URL (a mark on another site), through the outbound guard; absent, such marks are refused. */
  loadUrl?(url: string): Promise<Buffer>;
  /** The public URL of the job's source, which `qrcode/0` encodes; absent when the source has none. */
  sourceUrl?: string;
}

/** A mark ready to draw: PNG bytes with alpha (dissolve applied) and their size. */
type Overlay = { data: Buffer } & Size;

/** Multiplies the alpha channel by dissolve/100 and encodes a lossless PNG of the mark. */
async function finish(mark: Sharp, dissolve: number): Promise<Overlay> {
  let image = mark.toColourspace('srgb').ensureAlpha();
  if (dissolve < 100) image = image.linear([1, 1, 1, dissolve / 100], [0, 0, 0, 0]);
  const { data, info } = await image.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function imageOverlay(mark: ImageMark, frame: Size, limits: ImageLimits, context?: ImageStepContext): Promise<Overlay> {
  if (!context) throw new Error('watermark image marks need an ImageStepContext to load the mark');
  const name = markName(mark.image);
  const bytes = await loadMark(mark.image, context);
  let source;
  try {
    source = await probeImage(bytes, limits);
  } catch (error) {
    if (error instanceof MediaError) throw new MediaError(error.status, `watermark image ${name}: ${error.message}`);
    throw error;
  }
  let image = decodeImage(source, limits, false);
  if (mark.ws > 0) {
    // Qiniu's ws and wst: the mark's edge wst names becomes ws × the image's same edge.
    const scale = (mark.ws * scaledEdge(frame, mark.scaleEdge)) / scaledEdge(source, mark.scaleEdge);
    const size = { width: Math.max(1, Math.round(source.width * scale)), height: Math.max(1, Math.round(source.height * scale)) };
    if (size.width > limits.maxOutputSidePx || size.height > limits.maxOutputSidePx || size.width * size.height > limits.maxOutputPixels) {
      throw new MediaError(
        413,
        `watermark image ${name} scaled by ws ${mark.ws} would be ${size.width}x${size.height}, over the output bounds ` +
          `(maxOutputSidePx ${limits.maxOutputSidePx}, maxOutputPixels ${limits.maxOutputPixels})`,
      );
    }
    image = image.resize(size.width, size.height, { fit: 'fill' });
  }
  return decoding(`watermark image ${name}`, () => finish(image, mark.dissolve));
}

/** How messages name a mark: `<bucket>/<key>`, or its outside URL. */
function markName(source: MarkSource): string {
  return isOutsideUrl(source) ? source.url : `${source.bucket}/${source.key}`;
}

function loadMark(source: MarkSource, context: ImageStepContext): Promise<Buffer> {
  if (!isOutsideUrl(source)) return context.loadObject(source.bucket, source.key);
  if (!context.loadUrl) throw new Error('watermark marks at outside URLs need ImageStepContext.loadUrl');
  return context.loadUrl(source.url);
}

/** The edge of a box that Qiniu's `wst` names: the short one by default. */
function scaledEdge(box: Size, edge: ImageMark['scaleEdge']): number {
  switch (edge) {
    case undefined:
      return Math.min(box.width, box.height);
    case 'long':
      return Math.max(box.width, box.height);
    case 'width':
      return box.width;
    case 'height':
      return box.height;
  }
}

/** The visible part of each mark and where it goes on a frame; marks wholly outside are dropped. */
async function placeMarks(args: WatermarkArgs, frame: Size, limits: ImageLimits, context?: ImageStepContext): Promise<FrameOverlay[]> {
  const overlays: FrameOverlay[] = [];
  for (const mark of args.marks) {
    const overlay =
      mark.kind === 'image'
        ? await imageOverlay(mark, frame, limits, context)
        : await finish(sharp((await renderTextMark(mark, limits.maxOutputPixels)).data), mark.dissolve);
    const at = placeWithMargin(mark.gravity, frame, overlay, mark.dx, mark.dy);
    const visible = clipToFrame(at, frame);
    if (!visible) continue;
    const whole = visible.width === overlay.width && visible.height === overlay.height;
    const input = whole
      ? overlay.data
      : await sharp(overlay.data)
          .extract({ left: visible.left - at.left, top: visible.top - at.top, width: visible.width, height: visible.height })
          .png({ compressionLevel: 1 })
          .toBuffer();
    overlays.push({ input, at: visible });
  }
  return overlays;
}

/**
 * Runs `watermark`: draws its marks in order (later ones on top) on every frame, keeps the
 * source's format and metadata, and re-encodes a JPEG at its own estimated quality.
 */
export async function runWatermark(input: ImageInput, args: WatermarkArgs, limits: ImageLimits, context?: ImageStepContext): Promise<MediaOutput> {
  const source = await input.probe();
  const format = defaultOutputFormat(source);
  const allFrames = source.animated && keepsFrames(format);
  const frame = { width: source.width, height: source.height };
  const overlays = await placeMarks(args, frame, limits, context);
  let image = decodeImage(source, limits, allFrames);
  if (overlays.length > 0) image = image.composite(overlaysOnEveryFrame(overlays, allFrames ? source.frames : 1, source.height));
  const quality = (source.format === 'jpeg' ? estimateJpegQuality(source.head) : undefined) ?? defaultImageQuality;
  return encodeImage(image, format, {
    quality,
    interlace: false,
    keepMetadata: true,
    background: imageMogr2DefaultBackground,
    animation: allFrames ? { delay: source.metadata.delay, loop: source.metadata.loop } : undefined,
  });
}

/** `watermark` as the plan executor runs it. */
export const watermarkRun = inMemoryRun('watermark', runWatermark);
