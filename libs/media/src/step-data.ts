import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ObjectSetMember } from './av-step.types';
import { MediaError } from './media.errors';

/**
 * What one step hands the next: bytes in memory (sharp's output, a small source) or a file
 * (ffmpeg's output, a source in the worker's cache). Each form is made at most once: bytes are
 * written to a file only when an ffmpeg or custom step needs one, a file is read only when an
 * in-memory step needs its bytes.
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

  /** The bytes, read from the file once if need be; 413 past `maxBytes`, before reading. */
  async read(maxBytes: number): Promise<Buffer> {
    if (this.bytes) return this.bytes;
    const { size } = await fs.stat(this.path!);
    if (size > maxBytes) throw new MediaError(413, `input of ${size} bytes is over maxSourceBytes ${maxBytes}`);
    this.bytes = await fs.readFile(this.path!);
    return this.bytes;
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
