import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { removeStaleEntries } from '@fopflow/storage';
import { assertResultKey, ResultBody, ResultBodyStore } from './result-body.store';

/**
 * Result bodies as files under one directory: `<dir>/<2 hex>/<key>`, written under `<dir>/tmp/`
 * and renamed into place, so a reader opens a whole file or none. An open file stays readable
 * after eviction removes it.
 */
export class DiskResultBodies implements ResultBodyStore {
  constructor(private readonly dir: string) {}

  async open(key: string): Promise<Readable | null> {
    try {
      const handle = await fs.open(this.pathOf(key), 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async write(key: string, body: ResultBody): Promise<void> {
    const path = this.pathOf(key);
    const tmp = join(this.dir, 'tmp', `${key}.${randomUUID()}`);
    await fs.mkdir(join(this.dir, 'tmp'), { recursive: true });
    await fs.mkdir(join(path, '..'), { recursive: true });
    try {
      if ('data' in body) await fs.writeFile(tmp, body.data);
      else await moveFile(body.path, tmp);
      await fs.rename(tmp, path);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  sweepTemp(maxAgeMs: number, nowMs: number): Promise<string[]> {
    return removeStaleEntries(join(this.dir, 'tmp'), maxAgeMs, { nowMs });
  }

  private pathOf(key: string): string {
    assertResultKey(key);
    return join(this.dir, key.slice(0, 2), key);
  }
}

/** Renames `from` to `to`, copying when they sit on different file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await fs.copyFile(from, to);
    await fs.rm(from, { force: true });
  }
}
