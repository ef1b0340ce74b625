import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isMissingPathError } from './storage.errors';

/** How a sweep picks what to remove. */
export interface StaleEntriesOptions {
  /** Only entries whose name this accepts (default: every entry). */
  select?: (name: string) => boolean;
  /** The present, in ms since the epoch (default: now). */
  nowMs?: number;
}

/**
 * Removes the entries of `dir` (files, or whole directories) that nobody has written for
 * `maxAgeMs`, and answers their paths. An entry's age is its newest mtime, a directory's counting
 * what it holds directly, so a file still being written keeps its directory. Work that is still
 * alive writes, so an age well past any write gap is safe even with several processes sharing
 * the directory. A missing `dir` is nothing to sweep; an entry gone meanwhile was finished by its
 * owner; one this process may not read or remove is skipped.
 */
export async function removeStaleEntries(dir: string, maxAgeMs: number, options: StaleEntriesOptions = {}): Promise<string[]> {
  const cutoff = (options.nowMs ?? Date.now()) - maxAgeMs;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if (isMissingPathError(error)) return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (options.select && !options.select(name)) continue;
    const path = join(dir, name);
    const written = await newestMtimeMs(path).catch(() => undefined);
    if (written === undefined || written > cutoff) continue;
    // What this process may not remove (another user's, in a shared dir) is left to its owner.
    if (await fs.rm(path, { recursive: true, force: true }).then(() => true, () => false)) removed.push(path);
  }
  return removed;
}

/** The newest mtime of `path` and, for a directory, of its direct entries; undefined once it is gone. */
async function newestMtimeMs(path: string): Promise<number | undefined> {
  try {
    const stat = await fs.lstat(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    let newest = stat.mtimeMs;
    for (const name of await fs.readdir(path)) {
      const inner = await fs.lstat(join(path, name)).catch(() => undefined);
      if (inner) newest = Math.max(newest, inner.mtimeMs);
    }
    return newest;
  } catch (error) {
    if (isMissingPathError(error)) return undefined;
    throw error;
  }
}
