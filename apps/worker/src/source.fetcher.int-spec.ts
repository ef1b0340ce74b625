import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalDiskStorage, ObjectInfo, ObjectStorage } from '@fopflow/storage';
import { SourceCache } from './source.cache';
import { SourceFetcher } from './source.fetcher';

const noLimit = { maxBytes: 1 << 30 };
const KiB = 1024;

/** The real local-disk storage, counting reads and able to break the next ones midway. */
class CountedStorage {
  reads = 0;
  breakReads = false;

  constructor(readonly inner: LocalDiskStorage) {}

  asStorage(): ObjectStorage {
    return new Proxy(this.inner, {
      get: (target, name) => {
        if (name !== 'read') return Reflect.get(target, name).bind(target);
        return async (bucket: string, key: string) => {
          this.reads++;
          const opened = await target.read(bucket, key);
          if (!this.breakReads) return opened;
          // Half the bytes, then the connection drops: what a storage failing mid-download looks like.
          const broken = new PassThrough();
          opened.stream.once('data', (chunk: Buffer) => {
            broken.write(chunk.subarray(0, chunk.length >> 1));
            (opened.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
            setImmediate(() => broken.destroy(new Error('connection reset by the storage')));
          });
          return { info: opened.info, stream: broken };
        };
      },
    });
  }
}

let root: string;
let storage: CountedStorage;
let cacheDir: string;

function fetcherOf(maxBytes: number): { fetcher: SourceFetcher; cache: SourceCache<ObjectInfo> } {
  const cache = new SourceCache<ObjectInfo>({ dir: cacheDir, maxBytes });
  return { fetcher: new SourceFetcher(storage.asStorage(), cache, 64 * 1024 * KiB), cache };
}

async function put(key: string, bytes: number, fill: number): Promise<ObjectInfo> {
  return storage.inner.put('media', key, Buffer.alloc(bytes, fill), noLimit);
}

/** Published entries of the cache (its temporary directory aside). */
async function entries(): Promise<string[]> {
  return (await fs.readdir(cacheDir)).filter((name) => name !== 'tmp');
}

beforeEach(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'fetcher-'));
  storage = new CountedStorage(new LocalDiskStorage(join(root, 'data')));
  cacheDir = join(root, 'sources');
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('SourceFetcher with its SourceCache', () => {
  it('reads the storage once for many concurrent fetches of one source, and serves all of them its bytes', async () => {
    const info = await put('photo.jpg', 300 * KiB, 7);
    const { fetcher } = fetcherOf(10 * 1024 * KiB);
    const leases = await Promise.all(Array.from({ length: 12 }, () => fetcher.fetch(info)));
    expect(storage.reads).toBe(1);
    expect(new Set(leases.map((lease) => lease.path)).size).toBe(1);
    expect((await fs.readFile(leases[0].path)).equals(Buffer.alloc(300 * KiB, 7))).toBe(true);
    for (const lease of leases) lease.release();
    await fetcher.fetch(info);
    expect(storage.reads).toBe(1);
  });

  it('evicts the least recently used sources past its bound, but never one in use', async () => {
    const [a, b, c] = [await put('a', 100 * KiB, 1), await put('b', 100 * KiB, 2), await put('c', 100 * KiB, 3)];
    const { fetcher, cache } = fetcherOf(250 * KiB);
    (await fetcher.fetch(a)).release();
    const heldB = await fetcher.fetch(b);
    (await fetcher.fetch(a)).release(); // a is now more recent than b, but b is in use
    (await fetcher.fetch(c)).release();
    expect(storage.reads).toBe(3);
    expect(cache.totalBytes).toBeLessThanOrEqual(250 * KiB);
    expect((await fs.readFile(heldB.path)).equals(Buffer.alloc(100 * KiB, 2))).toBe(true);
    expect(await entries()).toHaveLength(2);

    (await fetcher.fetch(a)).release(); // a was taken: the oldest one not in use
    expect(storage.reads).toBe(4);
    heldB.release();
    (await fetcher.fetch(b)).release();
    expect(storage.reads).toBe(4);
  });

  it('fetches a changed object again and lets its older version go', async () => {
    const first = await put('logo.png', 10 * KiB, 1);
    const { fetcher } = fetcherOf(10 * 1024 * KiB);
    const old = await fetcher.fetch(first);
    old.release();
    const second = await put('logo.png', 12 * KiB, 2);
    expect(second.etag).not.toBe(first.etag);
    const fresh = await fetcher.fetch(second);
    expect(storage.reads).toBe(2);
    expect(fresh.path).not.toBe(old.path);
    expect((await fs.readFile(fresh.path)).equals(Buffer.alloc(12 * KiB, 2))).toBe(true);
    expect(await entries()).toEqual([fresh.path.slice(cacheDir.length + 1)]);
    // A job that still names the first version is told the object changed, and nothing is kept.
    await expect(fetcher.fetch(first)).rejects.toMatchObject({ status: 409 });
    expect(await entries()).toHaveLength(1);
  });

  it('leaves no entry and no partial file when a download fails, and tries again on the next fetch', async () => {
    const info = await put('clip.mp4', 2048 * KiB, 9);
    const { fetcher } = fetcherOf(10 * 1024 * KiB);
    storage.breakReads = true;
    const failures = await Promise.all(Array.from({ length: 3 }, () => fetcher.fetch(info).catch((error: Error) => error)));
    expect(failures.map((failure) => (failure as Error).message)).toEqual(Array(3).fill('connection reset by the storage'));
    expect(storage.reads).toBe(1);
    expect(await entries()).toEqual([]);
    expect(await fs.readdir(join(cacheDir, 'tmp'))).toEqual([]);

    storage.breakReads = false;
    const lease = await fetcher.fetch(info);
    expect(storage.reads).toBe(2);
    expect((await fs.stat(lease.path)).size).toBe(2048 * KiB);
  });

  it('refuses a source over its size limit with 413 before keeping anything', async () => {
    const info = await put('huge.tif', 64 * KiB, 5);
    const cache = new SourceCache<ObjectInfo>({ dir: cacheDir, maxBytes: 1024 * KiB });
    const small = new SourceFetcher(storage.asStorage(), cache, 10 * KiB);
    await expect(small.fetch(info)).rejects.toMatchObject({ status: 413 });
    expect(await entries()).toEqual([]);
  });
});
