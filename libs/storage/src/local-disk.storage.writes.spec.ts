import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalDiskStorage } from './local-disk.storage';
import { qetag } from './qetag';
import { readAll, trickle } from './testing/storage.contract';

const MiB = 1024 * 1024;

/** Every file under `dir`, relative, so "nothing left behind" can be checked across tmp/ and objects/. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

describe('LocalDiskStorage writes', () => {
  let root: string;
  let storage: LocalDiskStorage;
  let bucketDir: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'fopflow-storage-'));
    storage = new LocalDiskStorage(root);
    bucketDir = path.join(root, 'buckets', 'media');
    await storage.createBucket('media');
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('streams a multi-block upload and hashes it on the way', async () => {
    const data = randomBytes(9 * MiB + 5);
    const chunks = Array.from({ length: Math.ceil(data.length / (256 * 1024)) }, (_, i) => data.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
    const info = await storage.put('media', 'video.bin', Readable.from(chunks), { maxBytes: data.length });
    expect(info).toMatchObject({ size: data.length, etag: qetag(data) });
    expect((await storage.readBuffer('media', 'video.bin', data.length)).data.equals(data)).toBe(true);
    expect(await filesUnder(bucketDir)).toEqual(['bucket.json', 'objects/video.bin']);
  });

  it('accepts strings from a stream with an encoding set', async () => {
    const source = new PassThrough();
    source.setEncoding('utf8');
    source.end('héllo');
    expect(await storage.put('media', 'text', source, { maxBytes: 100 })).toMatchObject({ size: 6 });
  });

  it('accepts an old-style stream that is not a stream.Readable', async () => {
    const legacy = Object.assign(new EventEmitter(), {
      readable: true,
      pause() {
        return legacy;
      },
      resume() {
        return legacy;
      },
    });
    const put = storage.put('media', 'legacy', legacy as unknown as NodeJS.ReadableStream, { maxBytes: 100 });
    // Old-style streams drop data nobody listens to, so speak only once the storage listens.
    while (legacy.listenerCount('data') === 0) await sleep(1);
    {
      legacy.emit('data', Buffer.from('old '));
      legacy.emit('data', Buffer.from('school'));
      legacy.emit('end');
    }
    await put;
    expect((await storage.readBuffer('media', 'legacy', 100)).data.toString()).toBe('old school');
  });

  describe('over the limit', () => {
    it('aborts a stream, destroys it and leaves nothing', async () => {
      const source = trickle([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
      const put = storage.put('media', 'big', source, { maxBytes: 1000 });
      await expect(put).rejects.toMatchObject({ status: 413, code: 'EntityTooLarge', message: expect.stringContaining('1000 bytes') });
      expect(source.destroyed).toBe(true);
      await expect(storage.stat('media', 'big')).rejects.toMatchObject({ code: 'NoSuchKey' });
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json']);
    });

    it('refuses a buffer before writing', async () => {
      await expect(storage.put('media', 'big', Buffer.alloc(11), { maxBytes: 10 })).rejects.toMatchObject({ status: 413 });
      await expect(storage.put('media', 'fits', Buffer.alloc(10), { maxBytes: 10 })).resolves.toMatchObject({ size: 10 });
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json', 'objects/fits']);
    });

    it('leaves an existing object untouched', async () => {
      await storage.put('media', 'keep', Buffer.from('original'), { maxBytes: 100 });
      await expect(storage.put('media', 'keep', trickle([Buffer.alloc(200)]), { maxBytes: 100 })).rejects.toMatchObject({ status: 413 });
      expect((await storage.readBuffer('media', 'keep', 100)).data.toString()).toBe('original');
    });
  });

  describe('broken sources', () => {
    it('maps a mid-way error to 400 IncompleteBody and leaves nothing', async () => {
      const put = storage.put('media', 'broken', trickle([Buffer.alloc(100), Buffer.alloc(100)], new Error('socket hang up')), { maxBytes: MiB });
      await expect(put).rejects.toMatchObject({ status: 400, code: 'IncompleteBody', message: expect.stringContaining('socket hang up') });
      await expect(storage.stat('media', 'broken')).rejects.toMatchObject({ code: 'NoSuchKey' });
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json']);
    });

    it('treats a premature close as incomplete', async () => {
      const source = new PassThrough();
      const put = storage.put('media', 'cut', source, { maxBytes: MiB });
      source.write(Buffer.alloc(50));
      setTimeout(() => source.destroy(), 10);
      await expect(put).rejects.toMatchObject({ status: 400, code: 'IncompleteBody' });
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json']);
    });

    it("treats an http-style 'aborted' event as incomplete", async () => {
      const source = new PassThrough();
      const put = storage.put('media', 'aborted', source, { maxBytes: MiB });
      source.write(Buffer.alloc(50));
      setTimeout(() => source.emit('aborted'), 10);
      await expect(put).rejects.toMatchObject({ status: 400, code: 'IncompleteBody', message: expect.stringContaining('aborted') });
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json']);
    });
  });

  describe('atomicity', () => {
    it('hides an object until its upload completes', async () => {
      const source = new PassThrough();
      const put = storage.put('media', 'slow', source, { maxBytes: MiB });
      source.write(Buffer.alloc(1000, 1));
      await sleep(20);
      await expect(storage.stat('media', 'slow')).rejects.toMatchObject({ code: 'NoSuchKey' });
      expect((await storage.list('media')).items).toEqual([]);
      source.end(Buffer.alloc(1000, 2));
      await expect(put).resolves.toMatchObject({ size: 2000 });
    });

    it('replaces on overwrite while an open reader keeps the old bytes', async () => {
      const oldData = randomBytes(300 * 1024);
      const newData = Buffer.from('new version');
      await storage.put('media', 'doc', oldData, { maxBytes: MiB });
      const { stream } = await storage.read('media', 'doc');

      const info = await storage.put('media', 'doc', newData, { maxBytes: MiB });
      expect(info.etag).toBe(qetag(newData));
      expect((await readAll(stream)).equals(oldData)).toBe(true);
      expect((await storage.readBuffer('media', 'doc', MiB)).data).toEqual(newData);
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json', 'objects/doc']);
    });

    it('lets an open reader finish after a delete', async () => {
      await storage.put('media', 'gone', Buffer.from('still here'), { maxBytes: MiB });
      const { stream } = await storage.read('media', 'gone', { start: 6, end: 9 });
      await storage.delete('media', 'gone');
      expect((await readAll(stream)).toString()).toBe('here');
    });

    it('leaves exactly one consistent object after concurrent puts of one key', async () => {
      const versions = Array.from({ length: 12 }, (_, i) => randomBytes(64 * 1024 + i));
      const infos = await Promise.all(
        versions.map((data, i) => {
          const body = i % 2 ? data : trickle([data.subarray(0, 1000), data.subarray(1000)]);
          return storage.put('media', 'hot/key', body, { maxBytes: MiB });
        }),
      );
      const { info, data } = await storage.readBuffer('media', 'hot/key', MiB);
      expect(infos.map((each) => each.etag)).toContain(info.etag);
      expect(qetag(data)).toBe(info.etag);
      expect(await filesUnder(bucketDir)).toEqual(['bucket.json', 'objects/hot%2Fkey']);
    });

    it('creates the bucket once for concurrent first puts', async () => {
      await Promise.all(Array.from({ length: 6 }, (_, i) => storage.put('fresh', `k${i}`, Buffer.from(`${i}`), { maxBytes: 10 })));
      expect((await storage.list('fresh')).items).toHaveLength(6);
      expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
    });
  });
});
