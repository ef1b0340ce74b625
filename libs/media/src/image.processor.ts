import type { FopStep, ImageFormat, ImageView2Args } from '@fopflow/fop';
import sharp, { Metadata, Sharp } from 'sharp';
import { DEFAULT_IMAGE_LIMITS, ImageLimits } from './image-limits';
import { planImageView2 } from './image-view2.geometry';
import { mimeOf, sharpEncoder, writableFormat } from './image.formats';
import { MediaError } from './media.errors';

/** Bytes a step produced and their MIME type. */
export interface MediaOutput {
  data: Buffer;
  mime: string;
}

const DEFAULT_QUALITY = 75;

/**
 * Runs image steps on sharp. Every source is checked from its header before it is decoded, and
 * every result against the output bounds before it is encoded, so a bad input is a MediaError
 * (4xx), never a crash deep inside libvips.
 */
export class ImageProcessor {
  constructor(private readonly limits: ImageLimits = DEFAULT_IMAGE_LIMITS) {}

  /** Runs `steps` in order, each on the previous one's output. */
  async run(steps: readonly FopStep[], input: Buffer): Promise<MediaOutput> {
    let output: MediaOutput = { data: input, mime: 'application/octet-stream' };
    for (const step of steps) output = await this.runStep(step, output.data);
    return output;
  }

  /** Runs one step on `input`. */
  async runStep(step: FopStep, input: Buffer): Promise<MediaOutput> {
    switch (step.command) {
      case 'imageView2':
        return this.imageView2(input, step.args);
      case 'imageInfo':
        return this.imageInfo(input);
    }
  }

  /** Header facts of `input`, refusing what is no image or too large to decode. */
  async probe(input: Buffer): Promise<Metadata & { width: number; height: number }> {
    let metadata: Metadata;
    try {
      metadata = await sharp(input).metadata();
    } catch (error) {
      throw new MediaError(415, `source is not a supported image (${describe(error)})`);
    }
    const { width, height } = metadata;
    if (!width || !height) throw new MediaError(415, 'source image has no dimensions');
    const pixels = width * height;
    if (pixels > this.limits.maxInputPixels) {
      throw new MediaError(
        413,
        `source image is ${width}x${height} (${pixels} pixels), over maxInputPixels ${this.limits.maxInputPixels}`,
      );
    }
    return { ...metadata, width, height };
  }

  private async imageView2(input: Buffer, args: ImageView2Args): Promise<MediaOutput> {
    try {
      const source = await this.probe(input);
      const plan = planImageView2(source, args);
      const result = plan.crop ?? plan;
      this.checkOutput(result.width, result.height);
      const format = args.format ?? defaultFormat(source);
      let image = this.decoder(input).resize(plan.width, plan.height, { fit: 'fill' });
      if (plan.crop) {
        image = image.extract({
          left: Math.floor((plan.width - plan.crop.width) / 2),
          top: Math.floor((plan.height - plan.crop.height) / 2),
          width: plan.crop.width,
          height: plan.crop.height,
        });
      }
      return await this.encode(image, format, { quality: args.q ?? DEFAULT_QUALITY, interlace: args.interlace ?? false });
    } catch (error) {
      if (args.ignoreError && error instanceof MediaError && error.status !== 413) {
        return { data: input, mime: 'application/octet-stream' };
      }
      throw error;
    }
  }

  private async imageInfo(input: Buffer): Promise<MediaOutput> {
    const metadata = await this.probe(input);
    const info: Record<string, unknown> = {
      size: input.length,
      format: metadata.format === 'jpeg' ? 'jpeg' : metadata.format,
      width: metadata.width,
      height: metadata.height,
      colorModel: colorModelOf(metadata),
    };
    if ((metadata.pages ?? 1) > 1) info.frameNumber = metadata.pages;
    return { data: Buffer.from(JSON.stringify(info)), mime: 'application/json' };
  }

  private decoder(input: Buffer): Sharp {
    return sharp(input, { limitInputPixels: this.limits.maxInputPixels });
  }

  private checkOutput(width: number, height: number): void {
    const { maxOutputSidePx, maxOutputPixels } = this.limits;
    if (width > maxOutputSidePx || height > maxOutputSidePx || width * height > maxOutputPixels) {
      throw new MediaError(
        413,
        `result ${width}x${height} is over the output bounds (${maxOutputSidePx} px a side, ${maxOutputPixels} pixels)`,
      );
    }
  }

  private async encode(image: Sharp, format: ImageFormat, options: { quality: number; interlace: boolean }): Promise<MediaOutput> {
    const encoder = sharpEncoder(format);
    if (!encoder) throw new MediaError(400, `format '${format}' cannot be written; use jpg, png, webp, avif, gif or tiff`);
    const { quality, interlace } = options;
    const encoded =
      encoder === 'jpeg'
        ? image.jpeg({ quality, progressive: interlace, mozjpeg: false })
        : encoder === 'png'
          ? image.png({ progressive: interlace })
          : encoder === 'gif'
            ? image.gif({ progressive: interlace })
            : image.toFormat(encoder, { quality });
    try {
      return { data: await encoded.toBuffer(), mime: mimeOf(encoder) };
    } catch (error) {
      throw new MediaError(400, `source image could not be decoded (${describe(error)})`);
    }
  }
}

function defaultFormat(metadata: Metadata): ImageFormat {
  return writableFormat(metadata.format) ?? (metadata.hasAlpha ? 'png' : 'jpg');
}

/** Qiniu names colour models after Go's image package. */
function colorModelOf(metadata: Metadata): string {
  if (metadata.space === 'cmyk') return 'cmyk';
  if (metadata.channels === 1 || metadata.space === 'b-w') return 'gray';
  if (metadata.format === 'jpeg') return 'ycbcr';
  if (metadata.isPalette || metadata.format === 'gif') return 'palette';
  return metadata.hasAlpha ? 'nrgba' : 'rgb';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
