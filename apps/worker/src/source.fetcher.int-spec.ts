import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalDiskStorage, ObjectInfo, ObjectStorage } from '@fopflow/storage';
import { SourceCache } from './source.cache';
import { fetchUrl, SourceFetcher } from './source.fetcher';
import { createServer } from 'node:http';
import { OutboundGuard } from '@fopflow/outbound';

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

describe('fetchUrl, for URL sources and outside marks', () => {
  const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
  const bodies: Record<string, [number, Buffer]> = { '/logo.png': [200, Buffer.alloc(2 * KiB, 7)], '/gone.png': [404, Buffer.from('no')] };
  const server = createServer((req, res) => {
    const [status, body] = bodies[req.url ?? ''] ?? [500, Buffer.alloc(0)];
    res.writeHead(status, { 'Content-Type': 'image/png; charset=binary' }).end(body);
  });
  let origin: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers the body and its type within the bound', async () => {
    const { data, mime } = await fetchUrl(`${origin}/logo.png`, guard, 4 * KiB, 'watermark mark');
    expect({ size: data.length, mime }).toEqual({ size: 2 * KiB, mime: 'image/png' });
  });

  it('names the URL as told: 413 over the bound, 424 for an answer other than 2xx, 400 for a blocked target', async () => {
    await expect(fetchUrl(`${origin}/logo.png`, guard, KiB, 'watermark mark')).rejects.toMatchObject({ status: 413, message: `watermark mark body is over maxSourceBytes ${KiB}` });
    await expect(fetchUrl(`${origin}/gone.png`, guard, KiB, 'watermark mark')).rejects.toMatchObject({ status: 424, message: 'watermark mark answered 404' });
    await expect(fetchUrl('http://127.0.0.2:9/x.png', guard, KiB, 'watermark mark')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^watermark mark could not be fetched: .*blocked/) });
  });
});
