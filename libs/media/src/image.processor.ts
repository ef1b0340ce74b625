import type { FopStep } from '@fopflow/fop';
import { runExif } from './exif.op';
import { runImageAve } from './image-ave.op';
import { runImageInfo } from './image-info.op';
import { runImageslim } from './imageslim.op';
import { runQrcode } from './qrcode.op';
import { DEFAULT_IMAGE_LIMITS, ImageLimits } from './image-limits';
import { runImageMogr2 } from './image-mogr2.op';
import { runImageView2 } from './image-view2.op';
import type { MediaOutput } from './image.encoder';
import { type SourceImage, probeImage } from './image.source';
import { type ImageStepContext, runWatermark } from './watermark.op';

export type { MediaOutput } from './image.encoder';
export type { SourceImage } from './image.source';
export type { ImageStepContext } from './watermark.op';

/** The steps this processor runs: the catalogue's image commands. */
export type ImageStep = Extract<FopStep, { command: ImageCommandName }>;

/** Names of the image commands, one implementation file each. */
export type ImageCommandName = 'imageView2' | 'imageInfo' | 'imageMogr2' | 'watermark' | 'exif' | 'imageAve' | 'imageslim' | 'qrcode';

type Operation<N extends ImageCommandName> = (
  input: Buffer,
  args: Extract<FopStep, { command: N }>['args'],
  limits: ImageLimits,
  context?: ImageStepContext,
) => Promise<MediaOutput>;

const operations: { [N in ImageCommandName]: Operation<N> } = {
  imageView2: runImageView2,
  imageInfo: (input, _args, limits) => runImageInfo(input, limits),
  imageMogr2: runImageMogr2,
  watermark: runWatermark,
  exif: (input, _args, limits) => runExif(input, limits),
  imageAve: (input, _args, limits) => runImageAve(input, limits),
  imageslim: (input, args, limits) => runImageslim(input, args, limits),
  qrcode: (input, args, _limits, context) => runQrcode(input, args, context?.sourceUrl),
};

/** True when `step` is one this processor runs. */
export function isImageStep(step: FopStep): step is ImageStep {
  return Object.hasOwn(operations, step.command);
}

/**
 * Runs image steps on sharp. Every source is checked from its header before it is decoded, and
 * every result against the output bounds before it is encoded, so a bad input is a MediaError
 * (400 corrupt, 413 over a limit, 415 not an image), never a crash deep inside libvips.
 */
export class ImageProcessor {
  constructor(private readonly limits: ImageLimits = DEFAULT_IMAGE_LIMITS) {}

  /** Runs `steps` in order, each on the previous one's output. */
  async run(steps: readonly FopStep[], input: Buffer, context?: ImageStepContext): Promise<MediaOutput> {
    let output: MediaOutput = { data: input, mime: 'application/octet-stream' };
    for (const step of steps) output = await this.runStep(step, output.data, context);
    return output;
  }

  /** Runs one step on `input`; `context` lets watermark read the stored images it names. */
  async runStep(step: FopStep, input: Buffer, context?: ImageStepContext): Promise<MediaOutput> {
    if (!isImageStep(step)) throw new Error(`${step.command} is not an image command; route it to its own processor`);
    const operation = operations[step.command] as Operation<ImageCommandName>;
    return operation(input, step.args as never, this.limits, context);
  }

  /** Header facts of `input`, refusing what is no image or too large to decode. */
  async probe(input: Buffer): Promise<SourceImage> {
    return probeImage(input, this.limits);
  }
}
