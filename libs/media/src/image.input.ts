import type { ImageLimits } from './image-limits';
import { type SourceImage, probeImage } from './image.source';

/**
 * An image a step reads: its bytes and its header, probed at most once however many parts of
 * the step (or of the plan executor) ask for it, so the metadata is passed along, not re-read.
 */
export interface ImageInput {
  readonly data: Buffer;
  /** The header facts, checked against the limits; the same promise on every call. */
  probe(): Promise<SourceImage>;
}

/** Wraps `data` so its header is probed on first use and then remembered. */
export function imageInput(data: Buffer, limits: ImageLimits): ImageInput {
  let probed: Promise<SourceImage> | undefined;
  return {
    data,
    probe: () => (probed ??= probeImage(data, limits)),
  };
}
