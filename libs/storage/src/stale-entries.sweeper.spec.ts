import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDiskStorage } from './local-disk.storage';
import { removeStaleEntries } from './stale-entries.sweeper';

const HOUR_MS = 3600_000;

/** Gives `path` an mtime `ageMs` in the past, as if nobody had written it since. */
function age(path: string, ageMs: number): string {
  const then = new Date(Date.now() - ageMs);
  utimesSync(path, then, then);
  return path;
}

describe('removeStaleEntries on a real directory', () => {
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fopflow-sweep-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes what nobody wrote for the age, and keeps what is fresh or not selected', async () => {
    const old = age((writeFileSync(join(dir, 'old.part'), 'x'), join(dir, 'old.part')), 2 * HOUR_MS);
    const fresh = join(dir, 'fresh.part');
    writeFileSync(fresh, 'x');
    const other = age((writeFileSync(join(dir, 'old.keep'), 'x'), join(dir, 'old.keep')), 2 * HOUR_MS);

    const removed = await removeStaleEntries(dir, HOUR_MS, { select: (name) => name.endsWith('.part') });
    expect(removed).toEqual([old]);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('keeps an old directory while a file in it is still being written', async () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'output.mp4'), 'x');
    age(busy, 2 * HOUR_MS);
    const idle = join(dir, 'idle');
    mkdirSync(idle);
    age((writeFileSync(join(idle, 'source'), 'x'), join(idle, 'source')), 2 * HOUR_MS);
    age(idle, 2 * HOUR_MS);

    expect(await removeStaleEntries(dir, HOUR_MS)).toEqual([idle]);
    expect(existsSync(join(busy, 'output.mp4'))).toBe(true);
  });

  it('finds nothing to sweep in a directory that does not exist', async () => {
    expect(await removeStaleEntries(join(dir, 'missing'), HOUR_MS)).toEqual([]);
  });
});

describe('LocalDiskStorage.sweepInterruptedWrites', () => {
  let root: string;

  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'fopflow-storage-sweep-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('removes stale .part files and bucket staging dirs, keeping objects and live uploads', async () => {
    const storage = new LocalDiskStorage(root);
    await storage.put('media', 'kept.txt', Buffer.from('kept'), { maxBytes: 100 });
    const tmp = join(root, 'buckets', 'media', 'tmp');
    const interrupted = age((writeFileSync(join(tmp, 'dead.part'), 'half'), join(tmp, 'dead.part')), 2 * HOUR_MS);
    const live = join(tmp, 'live.part');
    writeFileSync(live, 'in flight');
    mkdirSync(join(root, 'tmp', 'bucket-dead'), { recursive: true });
    const staging = age(join(root, 'tmp', 'bucket-dead'), 2 * HOUR_MS);

    const removed = await storage.sweepInterruptedWrites(HOUR_MS);
    expect(removed.sort()).toEqual([interrupted, staging].sort());
    expect(existsSync(live)).toBe(true);
    expect((await storage.readBuffer('media', 'kept.txt', 100)).data.toString()).toBe('kept');
  });

  it('finds nothing to sweep in a fresh data dir', async () => {
    expect(await new LocalDiskStorage(join(root, 'new')).sweepInterruptedWrites(HOUR_MS)).toEqual([]);
  });
});
