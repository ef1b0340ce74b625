import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { qetag } from '../qetag';
import { StorageError } from '../storage.errors';
import type { ObjectStorage } from '../storage.types';

/**
 * What every ObjectStorage driver promises, as one suite each driver's spec runs against a store
 * of its own: the gateway, workers and scaler rely on exactly this and nothing driver-specific.
 */
export interface StorageHarness {
  storage: ObjectStorage;
  /** Longest key the driver accepts in `bucket`, in UTF-8 bytes. */
  maxKeyBytes(bucket: string): number;
  /** False for servers whose racing writes of one key are not atomic: they can mix versions and ignore If-None-Match (s3rver). */
  atomicWrites: boolean;
  /** Longest key the store under test can hold, when its server is narrower than the driver (default maxKeyBytes). */
  storedKeyBytes?(bucket: string): number;
  /** What unfinished writes left in the store (staging files, staging objects); [] when clean. */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const noLimit = { maxBytes: 1024 * 1024 * 1024 };

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A source that yields `chunks` with a pause between them, then optionally fails. */
export function trickle(chunks: Buffer[], failure?: Error): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        await sleep(2);
        yield chunk;
      }
      if (failure) throw failure;
    })(),
  );
}

/** Slices `data` into `chunkBytes` pieces, as a network body arrives. */
export function chunked(data: Buffer, chunkBytes: number): Buffer[] {
  return Array.from({ length: Math.ceil(data.length / chunkBytes) }, (_, i) => data.subarray(i * chunkBytes, (i + 1) * chunkBytes));
}

export function describeStorageContract(driver: string, makeHarness: () => Promise<StorageHarness>): void {
  describe(`ObjectStorage contract: ${driver}`, () => {
    let harness: StorageHarness;
    let storage: ObjectStorage;

    beforeEach(async () => {
      harness = await makeHarness();
      storage = harness.storage;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    /** The object is not there, not listed, and no staging bytes of it remain. */
    const expectNothingLeft = async (bucket: string, key: string) => {
      await expect(storage.stat(bucket, key)).rejects.toMatchObject({ code: 'NoSuchKey' });
      expect((await storage.list(bucket)).items.map((item) => item.key)).not.toContain(key);
      expect(await harness.leftovers()).toEqual([]);
    };

    describe('buckets', () => {
      it('creates idempotently, keeping the first settings and owner', async () => {
        const created = await storage.createBucket('photos', { private: true, owner: 'AK1' });
        expect(created).toMatchObject({ name: 'photos', private: true, owner: 'AK1' });
        await expect(storage.createBucket('photos', { owner: 'AK2' })).resolves.toEqual(created);
        await expect(storage.getBucket('photos')).resolves.toEqual(created);
      });

      it('keeps style settings across updates: a change replaces only the fields it names', async () => {
        await storage.createBucket('styled');
        await storage.updateBucket('styled', { styles: { thumb: 'imageView2/2/w/100' }, separator: '-!', protected: true });
        await storage.updateBucket('styled', { private: true });
        expect(await storage.getBucket('styled')).toMatchObject({ private: true, protected: true, separator: '-!', styles: { thumb: 'imageView2/2/w/100' } });
        await storage.updateBucket('styled', { styles: {} });
        expect((await storage.getBucket('styled')).styles).toEqual({});
      });

      it('agrees on one record under concurrent creation', async () => {
        const infos = await Promise.all(Array.from({ length: 8 }, () => storage.createBucket('race')));
        if (harness.atomicWrites) expect(new Set(infos.map((info) => info.createdAt)).size).toBe(1);
        // Without conditional writes the last creator's record stands, and every answer was a whole record.
        else expect(infos.map((info) => info.createdAt)).toContain((await storage.getBucket('race')).createdAt);
        expect(infos.every((info) => info.name === 'race' && info.owner !== undefined)).toBe(true);
        expect(await harness.leftovers()).toEqual([]);
      });

      it('lists buckets by name and changes their settings', async () => {
        await expect(storage.listBuckets()).resolves.toEqual([]);
        await storage.createBucket('zeta');
        await storage.put('alpha', 'k', Buffer.from('x'), { ...noLimit, owner: 'AK1' });
        expect((await storage.listBuckets()).map((bucket) => [bucket.name, bucket.owner])).toEqual([
          ['alpha', 'AK1'],
          ['zeta', expect.any(String)],
        ]);
        await expect(storage.updateBucket('zeta', { private: true })).resolves.toMatchObject({ name: 'zeta', private: true });
        await expect(storage.getBucket('zeta')).resolves.toMatchObject({ private: true });
        await expect(storage.updateBucket('nope', { private: true })).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
      });

      it('answers 404 and 400 as StorageErrors', async () => {
        await expect(storage.getBucket('nope')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
        await expect(storage.createBucket('Bad_Name')).rejects.toMatchObject({ status: 400, code: 'InvalidBucketName' });
        await expect(storage.createBucket('health')).rejects.toThrow(/reserved/);
        await expect(storage.list('nope')).rejects.toBeInstanceOf(StorageError);
      });
    });

    describe('objects', () => {
      it('puts, stats, reads and deletes, keeping size, qetag, mime and putTime', async () => {
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
        expect((await storage.stat('media', 'a')).mime).toBe('image/x-custom');
        expect((await storage.put('media', 'b', png, { ...noLimit, mime: 'application/octet-stream' })).mime).toBe('image/png');
        expect((await storage.put('media', 'c', Buffer.from('text'), noLimit)).mime).toBe('application/octet-stream');
      });

      it('reads inclusive ranges, clamping the end', async () => {
        await storage.put('media', 'digits', Buffer.from('0123456789'), noLimit);
        const part = async (start: number, end: number) => {
          const { info, stream } = await storage.read('media', 'digits', { start, end });
          expect(info.size).toBe(10);
          return (await readAll(stream)).toString();
        };
        expect(await part(0, 0)).toBe('0');
        expect(await part(2, 5)).toBe('2345');
        expect(await part(7, 9)).toBe('789');
        expect(await part(8, 100)).toBe('89');
        await expect(storage.read('media', 'digits', { start: 10, end: 12 })).rejects.toMatchObject({ status: 416, message: expect.stringContaining('10 bytes') });
        await expect(storage.read('media', 'digits', { start: 5, end: 4 })).rejects.toMatchObject({ status: 416 });
        await expect(storage.read('media', 'digits', { start: -1, end: 4 })).rejects.toMatchObject({ status: 416 });
      });

      it('stores and reads an empty object', async () => {
        const info = await storage.put('media', 'empty', Buffer.alloc(0), { maxBytes: 0 });
        expect(info).toMatchObject({ size: 0, etag: 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ', mime: 'application/octet-stream' });
        await expect(storage.stat('media', 'empty')).resolves.toEqual(info);
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
        await expect(storage.read('real', 'k', { start: 0, end: 1 })).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
      });

      it('rejects invalid keys and bucket names', async () => {
        for (const key of ['', '/abs', 'a/../b', 'nul\u0000', 'x'.repeat(1025)]) {
          await expect(storage.put('media', key, Buffer.from('x'), noLimit)).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
          await expect(storage.stat('media', key)).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
        }
        await expect(storage.put('ready', 'k', Buffer.from('x'), noLimit)).rejects.toMatchObject({ status: 400, code: 'InvalidBucketName' });
        await expect(storage.listBuckets()).resolves.toEqual([]);
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
        const longest = harness.storedKeyBytes?.('media') ?? harness.maxKeyBytes('media');
        const keys = ['照片/猫 1.jpg', '😀/ü?&#%.txt', 'x'.repeat(longest), `${'猫'.repeat(Math.floor((longest - 1) / 3))}z`, '.dotfile', 'dir/..a', 'a+b=c'];
        for (const [index, key] of keys.entries()) await storage.put('media', key, Buffer.from(`v${index}`), noLimit);
        for (const [index, key] of keys.entries()) {
          expect((await storage.readBuffer('media', key, 10)).data.toString()).toBe(`v${index}`);
        }
        const listed = (await storage.list('media')).items.map((item) => item.key);
        expect(listed).toHaveLength(keys.length);
        expect(new Set(listed)).toEqual(new Set(keys));
        expect((await storage.list('media', { prefix: '猫' })).items.map((item) => item.key)).toEqual([keys[3]]);
        await expect(storage.put('media', 'x'.repeat(harness.maxKeyBytes('media') + 1), Buffer.from('x'), noLimit)).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
        for (const key of keys) await storage.delete('media', key);
        expect((await storage.list('media')).items).toEqual([]);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        // c/ holds a key of its own: s3rver (unlike S3) drops a common prefix whose keys all lie deeper.
        for (const key of ['b/2', 'a', 'b/1', 'c/x/y', 'c/z', 'a/1', 'b/3', 'd']) await storage.put('media', key, Buffer.from(key), noLimit);
      });

      it('returns full infos sorted by key', async () => {
        const { items, nextMarker, commonPrefixes } = await storage.list('media');
        expect(items.map((item) => item.key)).toEqual(['a', 'a/1', 'b/1', 'b/2', 'b/3', 'c/x/y', 'c/z', 'd']);
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

      it('rolls keys into common prefixes with a delimiter, paging over them', async () => {
        const top = await storage.list('media', { delimiter: '/' });
        expect(top.items.map((item) => item.key)).toEqual(['a', 'd']);
        expect(top.commonPrefixes).toEqual(['a/', 'b/', 'c/']);
        const inC = await storage.list('media', { delimiter: '/', prefix: 'c/' });
        expect(inC).toEqual({ items: [await storage.stat('media', 'c/z')], commonPrefixes: ['c/x/'] });

        const first = await storage.list('media', { delimiter: '/', limit: 2 });
        expect([first.items.map((item) => item.key), first.commonPrefixes, first.nextMarker]).toEqual([['a'], ['a/'], 'a/']);
        const second = await storage.list('media', { delimiter: '/', limit: 2, marker: first.nextMarker });
        expect([second.items.map((item) => item.key), second.commonPrefixes, second.nextMarker]).toEqual([[], ['b/', 'c/'], 'c/']);
        const third = await storage.list('media', { delimiter: '/', limit: 2, marker: second.nextMarker });
        expect([third.items.map((item) => item.key), third.commonPrefixes, third.nextMarker]).toEqual([['d'], [], undefined]);
      });

      it('tolerates non-string options from loose query parsing', async () => {
        const loose = { prefix: ['a'], marker: 7, delimiter: {} } as never;
        expect((await storage.list('media', loose)).items).toHaveLength(8);
      });
    });

    describe('writes', () => {
      beforeEach(async () => {
        await storage.createBucket('media');
      });

      it('streams a multi-part upload and hashes it on the way', async () => {
        const data = randomBytes(17 * MiB + 5);
        const info = await storage.put('media', 'video.bin', Readable.from(chunked(data, 256 * 1024)), { maxBytes: data.length, mime: 'video/mp4' });
        expect(info).toMatchObject({ size: data.length, etag: qetag(data), mime: 'video/mp4' });
        await expect(storage.stat('media', 'video.bin')).resolves.toEqual(info);
        const tail = await readAll((await storage.read('media', 'video.bin', { start: data.length - 10, end: data.length + 10 })).stream);
        expect(tail.equals(data.subarray(data.length - 10))).toBe(true);
        expect(qetag(await readAll((await storage.read('media', 'video.bin')).stream))).toBe(info.etag);
        expect(await harness.leftovers()).toEqual([]);
      });

      it('accepts strings from a stream with an encoding set', async () => {
        const source = new PassThrough();
        source.setEncoding('utf8');
        source.end('héllo');
        expect(await storage.put('media', 'text', source, { maxBytes: 100 })).toMatchObject({ size: 6 });
      });

      it('aborts a stream over the limit, destroys it and leaves nothing', async () => {
        const source = trickle([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
        await expect(storage.put('media', 'big', source, { maxBytes: 1000 })).rejects.toMatchObject({ status: 413, code: 'EntityTooLarge', message: expect.stringContaining('1000 bytes') });
        expect(source.destroyed).toBe(true);
        await expectNothingLeft('media', 'big');
      });

      it('aborts a large upload over the limit after parts went up, and leaves nothing', async () => {
        const source = Readable.from(chunked(randomBytes(20 * MiB), MiB));
        await expect(storage.put('media', 'huge', source, { maxBytes: 18 * MiB })).rejects.toMatchObject({ status: 413, code: 'EntityTooLarge' });
        expect(source.destroyed).toBe(true);
        await expectNothingLeft('media', 'huge');
      });

      it('leaves an existing object untouched when a new version fails', async () => {
        await storage.put('media', 'keep', Buffer.from('original'), { maxBytes: 100 });
        await expect(storage.put('media', 'keep', trickle([Buffer.alloc(200)]), { maxBytes: 100 })).rejects.toMatchObject({ status: 413 });
        expect((await storage.readBuffer('media', 'keep', 100)).data.toString()).toBe('original');
      });

      it('maps a source error to 400 IncompleteBody and leaves nothing, small or large', async () => {
        const small = trickle([Buffer.alloc(100), Buffer.alloc(100)], new Error('socket hang up'));
        await expect(storage.put('media', 'broken', small, { maxBytes: MiB })).rejects.toMatchObject({ status: 400, code: 'IncompleteBody', message: expect.stringContaining('socket hang up') });
        await expectNothingLeft('media', 'broken');
        const large = trickle(chunked(randomBytes(12 * MiB), 2 * MiB), new Error('connection reset'));
        await expect(storage.put('media', 'broken', large, { maxBytes: 64 * MiB })).rejects.toMatchObject({ status: 400, code: 'IncompleteBody' });
        await expectNothingLeft('media', 'broken');
      });

      it("treats a premature close or an http 'aborted' event as incomplete", async () => {
        const closed = new PassThrough();
        const put = storage.put('media', 'cut', closed, { maxBytes: MiB });
        closed.write(Buffer.alloc(50));
        setTimeout(() => closed.destroy(), 10);
        await expect(put).rejects.toMatchObject({ status: 400, code: 'IncompleteBody' });
        const aborted = new PassThrough();
        const put2 = storage.put('media', 'aborted', aborted, { maxBytes: MiB });
        aborted.write(Buffer.alloc(50));
        // An event nobody listens to is lost: speak once the storage reads the body.
        while (aborted.listenerCount('aborted') === 0) await sleep(1);
        aborted.emit('aborted');
        await expect(put2).rejects.toMatchObject({ status: 400, code: 'IncompleteBody', message: expect.stringContaining('aborted') });
        await expectNothingLeft('media', 'cut');
      });

      it('hides an object until its upload completes', async () => {
        const source = new PassThrough();
        const put = storage.put('media', 'slow', source, { maxBytes: 32 * MiB });
        source.write(Buffer.alloc(10 * MiB, 1));
        await sleep(50);
        await expect(storage.stat('media', 'slow')).rejects.toMatchObject({ code: 'NoSuchKey' });
        expect((await storage.list('media')).items).toEqual([]);
        source.end(Buffer.alloc(1000, 2));
        await expect(put).resolves.toMatchObject({ size: 10 * MiB + 1000 });
      });

      it('leaves exactly one consistent object after concurrent puts of one key', async () => {
        const versions = Array.from({ length: 8 }, (_, i) => randomBytes(64 * 1024 + i));
        const putVersion = (data: Buffer, i: number) =>
          storage.put('media', 'hot/key', i % 2 ? data : trickle([data.subarray(0, 1000), data.subarray(1000)]), { maxBytes: MiB });
        // A server that writes in place (s3rver) can mix racing versions; on it, versions replace each other one by one.
        const infos = harness.atomicWrites ? await Promise.all(versions.map(putVersion)) : [];
        if (!harness.atomicWrites) for (const [i, data] of versions.entries()) infos.push(await putVersion(data, i));
        const { info, data } = await storage.readBuffer('media', 'hot/key', MiB);
        expect(infos.map((each) => each.etag)).toContain(info.etag);
        expect(qetag(data)).toBe(info.etag);
        if (!harness.atomicWrites) expect(data.equals(versions[versions.length - 1])).toBe(true);
        expect(await harness.leftovers()).toEqual([]);
      });

      it('creates the bucket once for concurrent first puts', async () => {
        await Promise.all(Array.from({ length: 6 }, (_, i) => storage.put('fresh', `k${i}`, Buffer.from(`${i}`), { maxBytes: 10, owner: 'AK1' })));
        expect((await storage.list('fresh')).items).toHaveLength(6);
        await expect(storage.getBucket('fresh')).resolves.toMatchObject({ owner: 'AK1' });
      });
    });
  });
}
