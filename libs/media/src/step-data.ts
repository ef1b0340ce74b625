import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ObjectSetMember } from './av-step.types';
import { MediaError } from './media.errors';

/**
 * What one step hands the next: bytes in memory (sharp's output, a small source) or a file
 * (ffmpeg's output, a source in the worker's cache). Each form is made at most once: bytes are
 * written to a file only when an ffmpeg or custom step needs one; an image step decodes a file
 * with sharp from the file itself, so its bytes are never copied into memory as a whole.
 */
export class StepData {
  private constructor(
    readonly mime: string,
    private bytes: Buffer | undefined,
    private path: string | undefined,
    /** The other objects of a set (HLS segments, vsample images) a last step wrote beside this one. */
    readonly members?: ObjectSetMember[],
  ) {}

  /** Bytes already in memory. */
  static inMemory(data: Buffer, mime: string): StepData {
    return new StepData(mime, data, undefined);
  }

  /** A local file; the caller keeps it until the plan is done (it is never written to). */
  static onFile(path: string, mime: string, members?: ObjectSetMember[]): StepData {
    return new StepData(mime, undefined, path, members);
  }

  /** The bytes, when they are in memory already. */
  get data(): Buffer | undefined {
    return this.bytes;
  }

  /** The file, when there is one already. */
  get file(): string | undefined {
    return this.path;
  }

  /** Size in bytes; 413 past `maxBytes`. */
  async sizeWithin(maxBytes: number): Promise<number> {
    const size = this.bytes ? this.bytes.length : (await fs.stat(this.path!)).size;
    if (size > maxBytes) throw new MediaError(413, `input of ${size} bytes is over maxSourceBytes ${maxBytes}`);
    return size;
  }

  /** A file holding the data, written into `dir` once if need be. */
  async toFile(dir: string, name: string): Promise<string> {
    if (this.path) return this.path;
    const path = join(dir, name);
    await fs.writeFile(path, this.bytes!);
    this.path = path;
    return path;
  }
}
