import type { FopStep } from '@fopflow/fop';
import { DEFAULT_IMAGE_LIMITS, ImageLimits } from './image-limits';
import type { MediaOutput } from './image.encoder';
import { type ImageInput, fileImageInput, imageInput } from './image.input';
import { type SourceImage } from './image.source';
import { mediaRuns } from './media.runs';
import type { InMemoryRun } from './step-run';
import { StepRunRegistry } from './step-run.registry';
import type { ImageStepContext } from './watermark.op';

export type { MediaOutput } from './image.encoder';
export type { SourceImage } from './image.source';
export type { ImageStepContext } from './watermark.op';

/** The steps this processor runs: the catalogue's image commands. */
export type ImageStep = Extract<FopStep, { command: ImageCommandName }>;

/** Names of the image commands, one implementation file each. */
export type ImageCommandName = 'imageView2' | 'imageInfo' | 'imageMogr2' | 'watermark' | 'exif' | 'imageAve' | 'imageslim' | 'qrcode';

const inMemoryCommands = new Set(mediaRuns.filter((run) => run.runs === 'in-memory').map((run) => run.command));

/** True when `step` is one this processor runs. */
export function isImageStep(step: FopStep): step is ImageStep {
  return inMemoryCommands.has(step.command);
}

/**
 * Runs image steps on sharp. Every source is checked from its header before it is decoded, and
 * every result against the output bounds before it is encoded, so a bad input is a MediaError
 * (400 corrupt, 413 over a limit, 415 not an image), never a crash deep inside libvips.
 */
export class ImageProcessor {
  constructor(
    readonly limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
    private readonly registry = new StepRunRegistry(),
  ) {}

  /** Runs `steps` in order, each on the previous one's output. */
  async run(steps: readonly FopStep[], input: Buffer, context?: ImageStepContext): Promise<MediaOutput> {
    let output: MediaOutput = { data: input, mime: 'application/octet-stream' };
    for (const step of steps) output = await this.runStep(step, output.data, context);
    return output;
  }

  /**
   * Runs one step on `input`; `context` lets watermark read the stored images it names. An
   * ImageInput whose header was probed already is not probed again.
   */
  async runStep(step: FopStep, input: Buffer | ImageInput, context?: ImageStepContext): Promise<MediaOutput> {
    const run = this.registry.of(step.command);
    if (run?.runs !== 'in-memory') throw new Error(`${step.command} is not an image command; route it to its own processor`);
    return (run as InMemoryRun).run(this.input(input), step.args as never, this.limits, context);
  }

  /** `data` wrapped for the steps of this processor's limits, its header probed on first use. */
  input(data: Buffer | ImageInput): ImageInput {
    return Buffer.isBuffer(data) ? imageInput(data, this.limits) : data;
  }

  /** The local file at `path` (`size` bytes) as an input of this processor's limits: sharp reads it itself. */
  fileInput(path: string, size: number): ImageInput {
    return fileImageInput(path, size, this.limits);
  }

  /** Header facts of `input`, refusing what is no image or too large to decode. */
  async probe(input: Buffer): Promise<SourceImage> {
    return this.input(input).probe();
  }
}
