import { randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { removeStaleEntries } from '@fopflow/storage';
import { moveFile } from './disk-result-bodies';
import type { ResultBody } from './result-body.store';

/** Results larger than this share of the tier stream past it rather than push everything else out. */
const largestShare = 4;

/**
 * This process's bounded copy of result bodies on local disk, in front of the shared store:
 * a directory of its own (`<root>/<uuid>`), least recently used out first, forgotten when the
 * process ends. Another process sweeps the directory once nobody has written it for a while;
 * an open that finds its file gone just reads the shared store again.
 */
export class FrontTier {
  private readonly dir: string;
  /** Bytes by key, least recently used first (a Map keeps insertion order). */
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
  ) {
    this.dir = join(root, randomUUID());
  }

  /** Opens the local copy of `key`, marking it recently used; null when this process holds none. */
  async open(key: string): Promise<Readable | null> {
    const size = this.sizes.get(key);
    if (size === undefined) return null;
    try {
      const handle = await fs.open(this.pathOf(key), 'r');
      this.touch(key, size);
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.forget(key);
      return null;
    }
  }

  /** Keeps a copy of a body just written to the shared store; a work file is moved in, not copied. */
  async keep(key: string, body: ResultBody, size: number): Promise<void> {
    if (!this.fits(size)) return;
    const tmp = await this.tmpPath(key);
    try {
      if ('data' in body) await fs.writeFile(tmp, body.data);
      else await moveFile(body.path, tmp);
      await this.publish(key, tmp, size);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /**
   * Passes `source` (a body read from the shared store) on, keeping a copy as it goes by; the
   * copy is published only when every byte arrived, and dropped when the reader stops early.
   */
  fillFrom(key: string, size: number, source: Readable): Readable {
    if (!this.fits(size) || this.sizes.has(key)) return source;
    const out = new PassThrough();
    const tmp = join(this.dir, 'tmp', `${key}.${randomUUID()}`);
    let copy: ReturnType<typeof createWriteStream> | undefined;
    let copied = 0;
    let complete = false;
    const drop = () => {
      copy?.destroy();
      void fs.rm(tmp, { force: true });
    };
    fs.mkdir(join(this.dir, 'tmp'), { recursive: true })
      .then(() => {
        copy = createWriteStream(tmp);
        copy.on('error', drop);
        copy.on('finish', () => {
          if (complete && copied === size) this.publish(key, tmp, size).catch(drop);
          else drop();
        });
        source.on('data', (chunk: Buffer) => {
          copied += chunk.length;
          copy!.write(chunk);
        });
        source.on('end', () => {
          complete = true;
          copy!.end();
        });
        source.on('error', (error) => {
          drop();
          out.destroy(error);
        });
        out.on('close', () => {
          if (!complete) {
            source.destroy();
            drop();
          }
        });
        source.pipe(out);
      })
      .catch((error: Error) => out.destroy(error));
    return out;
  }

  remove(key: string): Promise<void> {
    this.forget(key);
    return fs.rm(this.pathOf(key), { force: true });
  }

  /** Removes directories of processes that stopped writing them `maxAgeMs` ago (this one's is fresh or absent). */
  sweepStale(maxAgeMs: number, nowMs: number): Promise<string[]> {
    return removeStaleEntries(this.root, maxAgeMs, { nowMs, select: (name) => join(this.root, name) !== this.dir });
  }

  private fits(size: number): boolean {
    return this.maxBytes > 0 && size <= this.maxBytes / largestShare;
  }

  private async tmpPath(key: string): Promise<string> {
    await fs.mkdir(join(this.dir, 'tmp'), { recursive: true });
    return join(this.dir, 'tmp', `${key}.${randomUUID()}`);
  }

  private async publish(key: string, tmp: string, size: number): Promise<void> {
    await fs.rename(tmp, this.pathOf(key));
    const previous = this.sizes.get(key);
    if (previous !== undefined) this.bytes -= previous;
    this.touch(key, size);
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const [oldest] = this.sizes.keys();
      await this.remove(oldest);
    }
  }

  private touch(key: string, size: number): void {
    this.sizes.delete(key);
    this.sizes.set(key, size);
  }

  private forget(key: string): void {
    const size = this.sizes.get(key);
    if (size === undefined) return;
    this.sizes.delete(key);
    this.bytes -= size;
  }

  private pathOf(key: string): string {
    return join(this.dir, key);
  }
}
