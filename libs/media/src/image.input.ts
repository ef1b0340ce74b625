import { promises as fs } from 'node:fs';
import type { MediaOutput } from './image.encoder';
import { sniffImageMime } from './image.formats';
import type { ImageLimits } from './image-limits';
import { type SourceImage, probeImage } from './image.source';

/**
 * An image a step reads: in memory, or a local file that sharp reads itself (a large source then
 * never passes through the JS heap), with its header probed at most once however many parts of
 * the step (or of the plan executor) ask for it, so the metadata is passed along, not re-read.
 */
export interface ImageInput {
  /** The bytes, read from the file on first use: for the steps that answer the source as it is or read it as text. */
  bytes(): Promise<Buffer>;
  /** The header facts, checked against the limits; the same promise on every call. */
  probe(): Promise<SourceImage>;
}

/** Wraps `data` so its header is probed on first use and then remembered. */
export function imageInput(data: Buffer, limits: ImageLimits): ImageInput {
  let probed: Promise<SourceImage> | undefined;
  return {
    bytes: async () => data,
    probe: () => (probed ??= probeImage(data, limits)),
  };
}

/**
 * Wraps the file at `path` (`size` bytes, which the caller checked against its bound): sharp
 * decodes it from the file, and its bytes are read only if a step asks for them. The file must
 * not change while steps read it.
 */
export function fileImageInput(path: string, size: number, limits: ImageLimits): ImageInput {
  let probed: Promise<SourceImage> | undefined;
  let read: Promise<Buffer> | undefined;
  return {
    bytes: () => (read ??= fs.readFile(path)),
    probe: () => (probed ??= probeImage({ path, size }, limits)),
  };
}

/** The input answered as it is (ignore-error, a result that does not pay), typed by its own bytes. */
export async function unchanged(input: Pick<ImageInput, 'bytes'>): Promise<MediaOutput> {
  const data = await input.bytes();
  return { data, mime: sniffImageMime(data) };
}
