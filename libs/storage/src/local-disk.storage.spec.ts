import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalDiskStorage } from './local-disk.storage';
import { qetag } from './qetag';
import { StorageError } from './storage.errors';

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const noLimit = { maxBytes: 1024 * 1024 * 1024 };

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('LocalDiskStorage', () => {
  let root: string;
  let storage: LocalDiskStorage;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'fopflow-storage-'));
    storage = new LocalDiskStorage(root);
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  describe('buckets', () => {
    it('creates idempotently, keeping the first settings', async () => {
      const created = await storage.createBucket('photos', { private: true });
      expect(created).toMatchObject({ name: 'photos', private: true });
      await expect(storage.createBucket('photos')).resolves.toEqual(created);
      await expect(storage.getBucket('photos')).resolves.toEqual(created);
    });

    it('keeps style settings across updates: a change replaces only the fields it names', async () => {
      await storage.createBucket('styled');
      await storage.updateBucket('styled', { styles: { thumb: 'imageView2/2/w/100' }, separator: '-!', protected: true });
      await storage.updateBucket('styled', { private: true });
      const info = await new LocalDiskStorage(root).getBucket('styled');
      expect(info).toMatchObject({ private: true, protected: true, separator: '-!', styles: { thumb: 'imageView2/2/w/100' } });
      await storage.updateBucket('styled', { styles: {} });
      expect((await storage.getBucket('styled')).styles).toEqual({});
    });

    it('survives concurrent creation of one bucket and leaves no staging dirs', async () => {
      const infos = await Promise.all(Array.from({ length: 8 }, () => storage.createBucket('race')));
      expect(new Set(infos.map((info) => info.createdAt)).size).toBe(1);
      expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
    });

    it('lists buckets by name', async () => {
      await expect(storage.listBuckets()).resolves.toEqual([]);
      await storage.createBucket('zeta');
      await storage.put('alpha', 'k', Buffer.from('x'), noLimit);
      expect((await storage.listBuckets()).map((bucket) => bucket.name)).toEqual(['alpha', 'zeta']);
    });

    it('answers 404 and 400 as StorageErrors', async () => {
      await expect(storage.getBucket('nope')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
      await expect(storage.createBucket('Bad_Name')).rejects.toMatchObject({ status: 400, code: 'InvalidBucketName' });
      await expect(storage.createBucket('health')).rejects.toThrow(/reserved/);
      await expect(storage.list('nope')).rejects.toBeInstanceOf(StorageError);
    });
  });

  describe('objects', () => {
    it('puts, stats, reads and deletes', async () => {
      const data = Buffer.concat([png, Buffer.from('rest of the image')]);
      const before = Date.now();
      const info = await storage.put('media', 'cats/tom.png', data, noLimit);
      expect(info).toEqual({ bucket: 'media', key: 'cats/tom.png', size: data.length, etag: qetag(data), mime: 'image/png', putTime: expect.any(Number) });
      expect(info.putTime).toBeGreaterThanOrEqual(before);
      await expect(storage.stat('media', 'cats/tom.png')).resolves.toEqual(info);

      const { info: readInfo, stream } = await storage.read('media', 'cats/tom.png');
      expect(readInfo).toEqual(info);
      expect(await readAll(stream)).toEqual(data);
      await expect(storage.readBuffer('media', 'cats/tom.png', data.length)).resolves.toEqual({ info, data });

      await storage.delete('media', 'cats/tom.png');
      await expect(storage.stat('media', 'cats/tom.png')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
      await expect(storage.delete('media', 'cats/tom.png')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
      await expect(storage.getBucket('media')).resolves.toMatchObject({ name: 'media' });
      await expect(storage.list('media')).resolves.toEqual({ items: [] });
    });

    it('keeps a client type and sniffs otherwise', async () => {
      expect((await storage.put('media', 'a', png, { ...noLimit, mime: 'image/x-custom' })).mime).toBe('image/x-custom');
      expect((await storage.put('media', 'b', png, { ...noLimit, mime: 'application/octet-stream' })).mime).toBe('image/png');
      expect((await storage.put('media', 'c', Buffer.from('text'), noLimit)).mime).toBe('application/octet-stream');
    });

    it('reads inclusive ranges, clamping the end', async () => {
      await storage.put('media', 'digits', Buffer.from('0123456789'), noLimit);
      const part = async (start: number, end: number) => (await readAll((await storage.read('media', 'digits', { start, end })).stream)).toString();
      expect(await part(0, 0)).toBe('0');
      expect(await part(2, 5)).toBe('2345');
      expect(await part(7, 9)).toBe('789');
      expect(await part(8, 100)).toBe('89');
      await expect(storage.read('media', 'digits', { start: 10, end: 12 })).rejects.toMatchObject({ status: 416 });
      await expect(storage.read('media', 'digits', { start: 5, end: 4 })).rejects.toMatchObject({ status: 416 });
      await expect(storage.read('media', 'digits', { start: -1, end: 4 })).rejects.toMatchObject({ status: 416 });
    });

    it('stores and reads an empty object', async () => {
      const info = await storage.put('media', 'empty', Buffer.alloc(0), { maxBytes: 0 });
      expect(info).toMatchObject({ size: 0, etag: 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ', mime: 'application/octet-stream' });
      expect(await readAll((await storage.read('media', 'empty')).stream)).toEqual(Buffer.alloc(0));
      expect((await storage.readBuffer('media', 'empty', 0)).data).toEqual(Buffer.alloc(0));
    });

    it('refuses readBuffer past its limit', async () => {
      await storage.put('media', 'big', Buffer.alloc(100), noLimit);
      await expect(storage.readBuffer('media', 'big', 99)).rejects.toMatchObject({ status: 413, code: 'EntityTooLarge', message: expect.stringContaining('99 bytes') });
    });

    it('tells a missing bucket from a missing key', async () => {
      await expect(storage.stat('ghost', 'k')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
      await expect(storage.read('ghost', 'k')).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await expect(storage.delete('ghost', 'k')).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await storage.createBucket('real');
      await expect(storage.readBuffer('real', 'k', 10)).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    });

    it('rejects invalid keys and bucket names before touching disk', async () => {
      for (const key of ['', '/abs', 'a/../b', 'nul\u0000', 'x'.repeat(1025)]) {
        await expect(storage.put('media', key, Buffer.from('x'), noLimit)).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
        await expect(storage.stat('media', key)).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
      }
      await expect(storage.put('ready', 'k', Buffer.from('x'), noLimit)).rejects.toMatchObject({ status: 400, code: 'InvalidBucketName' });
      await expect(fs.readdir(root)).resolves.toEqual([]);
    });

    it('lets a and a/b exist side by side', async () => {
      await storage.put('media', 'a', Buffer.from('file a'), noLimit);
      await storage.put('media', 'a/b', Buffer.from('file a/b'), noLimit);
      await storage.put('media', 'a/b/c', Buffer.from('file a/b/c'), noLimit);
      expect((await storage.readBuffer('media', 'a', 100)).data.toString()).toBe('file a');
      expect((await storage.readBuffer('media', 'a/b', 100)).data.toString()).toBe('file a/b');
      await storage.delete('media', 'a/b');
      expect((await storage.readBuffer('media', 'a/b/c', 100)).data.toString()).toBe('file a/b/c');
      expect((await storage.list('media')).items.map((item) => item.key)).toEqual(['a', 'a/b/c']);
    });

    it('handles unicode and maximum-length keys', async () => {
      const keys = ['照片/猫 1.jpg', '😀/ü?&#%.txt', 'x'.repeat(1024), `${'猫'.repeat(341)}z`, '.dotfile', 'dir/..a'];
      for (const [index, key] of keys.entries()) await storage.put('media', key, Buffer.from(`v${index}`), noLimit);
      for (const [index, key] of keys.entries()) {
        expect((await storage.readBuffer('media', key, 10)).data.toString()).toBe(`v${index}`);
      }
      const listed = (await storage.list('media')).items.map((item) => item.key);
      expect(listed).toHaveLength(keys.length);
      expect(new Set(listed)).toEqual(new Set(keys));
      expect((await storage.list('media', { prefix: '猫' })).items.map((item) => item.key)).toEqual([keys[3]]);
      for (const key of keys) await storage.delete('media', key);
      expect(await fs.readdir(path.join(root, 'buckets/media/objects'))).toEqual([]);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      for (const key of ['b/2', 'a', 'b/1', 'c/x/y', 'a/1', 'b/3', 'd']) await storage.put('media', key, Buffer.from(key), noLimit);
    });

    it('returns full infos sorted by key', async () => {
      const { items, nextMarker, commonPrefixes } = await storage.list('media');
      expect(items.map((item) => item.key)).toEqual(['a', 'a/1', 'b/1', 'b/2', 'b/3', 'c/x/y', 'd']);
      expect(items[0]).toEqual(await storage.stat('media', 'a'));
      expect(nextMarker).toBeUndefined();
      expect(commonPrefixes).toBeUndefined();
    });

    it('filters by prefix and pages with the marker', async () => {
      const keysOf = (result: { items: { key: string }[] }) => result.items.map((item) => item.key);
      const first = await storage.list('media', { prefix: 'b/', limit: 2 });
      expect(keysOf(first)).toEqual(['b/1', 'b/2']);
      expect(first.nextMarker).toBe('b/2');
      const second = await storage.list('media', { prefix: 'b/', limit: 2, marker: first.nextMarker });
      expect(keysOf(second)).toEqual(['b/3']);
      expect(second.nextMarker).toBeUndefined();
    });

    it('rolls keys into common prefixes with a delimiter', async () => {
      const top = await storage.list('media', { delimiter: '/' });
      expect(top.items.map((item) => item.key)).toEqual(['a', 'd']);
      expect(top.commonPrefixes).toEqual(['a/', 'b/', 'c/']);
      const inC = await storage.list('media', { delimiter: '/', prefix: 'c/' });
      expect(inC).toEqual({ items: [], commonPrefixes: ['c/x/'] });
    });

    it('tolerates non-string options from loose query parsing', async () => {
      const loose = { prefix: ['a'], marker: 7, delimiter: {} } as never;
      expect((await storage.list('media', loose)).items).toHaveLength(7);
    });
  });
});
