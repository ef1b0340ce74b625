import { randomUUID } from 'node:crypto';
import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { fileNameToKey, isHashedFileName, keyToFileName } from './key-file-name.codec';
import { definedOnly, textOption } from './option-values';
import { mapLimited } from './map-limited';
import { chooseMime } from './mime-sniff';
import {
  encodeObjectHeader,
  ObjectHeader,
  objectHeaderBytes,
  readFully,
  readObjectHeader,
  readObjectHeaderAt,
  writeFully,
} from './object-file.format';
import { normaliseListLimit, pageKeys, sortKeys } from './object-list.pager';
import { removeStaleEntries } from './stale-entries.sweeper';
import { errnoCode, isMissingPathError, noSuchBucket, noSuchKey, StorageError } from './storage.errors';
import { assertBucketName, assertObjectKey, bucketNameProblem } from './storage-names.validator';
import type { BucketChange, BucketInfo, BucketOptions, ByteRange, ListOptions, ListResult, ObjectInfo, ObjectStorage, PutOptions } from './storage.types';
import { entityTooLarge, writeUploadBody } from './upload.writer';

/** Header reads a list page runs at once; keeps a 1000-item page well inside the fd limit. */
const listReadConcurrency = 32;

/**
 * Buckets and objects on local disk:
 * `<root>/buckets/<bucket>/bucket.json`, `.../objects/<encoded key>` (header + bytes, see
 * object-file.format.ts) and `.../tmp/` for uploads in flight, on the same file system so a
 * finished upload is published with one atomic rename.
 */
export class LocalDiskStorage implements ObjectStorage {
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  /** Idempotent: an existing bucket returns its info unchanged. */
  async createBucket(bucket: string, options: BucketOptions = {}): Promise<BucketInfo> {
    assertBucketName(bucket);
    const existing = await this.findBucket(bucket);
    if (existing) return existing;

    const info: BucketInfo = { name: bucket, private: options.private ?? false, createdAt: Date.now(), owner: options.owner ?? OPERATOR_ACCOUNT };
    // Built aside and renamed into place whole, so a racing creator either wins or finds a complete bucket.
    const staging = path.join(this.root, 'tmp', `bucket-${randomUUID()}`);
    try {
      await fs.mkdir(path.join(staging, 'objects'), { recursive: true });
      await fs.mkdir(path.join(staging, 'tmp'));
      await fs.writeFile(path.join(staging, 'bucket.json'), JSON.stringify(info));
      await fs.mkdir(path.join(this.root, 'buckets'), { recursive: true });
      await fs.rename(staging, this.bucketDir(bucket));
      return info;
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      return this.getBucket(bucket);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /** 404 NoSuchBucket when missing. */
  async getBucket(bucket: string): Promise<BucketInfo> {
    assertBucketName(bucket);
    const info = await this.findBucket(bucket);
    if (!info) throw noSuchBucket(bucket);
    return info;
  }

  /** Changes a bucket's settings; 404 NoSuchBucket when missing. The file is replaced whole. */
  async updateBucket(bucket: string, change: BucketChange): Promise<BucketInfo> {
    const info = { ...(await this.getBucket(bucket)), ...definedOnly(change) };
    const file = path.join(this.bucketDir(bucket), 'bucket.json');
    const staging = `${file}.${randomUUID()}.part`;
    await fs.writeFile(staging, JSON.stringify(info));
    await fs.rename(staging, file);
    return info;
  }

  /** All buckets, by name. */
  async listBuckets(): Promise<BucketInfo[]> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.root, 'buckets'));
    } catch (error) {
      if (isMissingPathError(error)) return [];
      throw error;
    }
    const valid = names.filter((name) => !bucketNameProblem(name)).sort();
    const infos = await Promise.all(valid.map((name) => this.findBucket(name)));
    return infos.filter((info): info is BucketInfo => info !== undefined);
  }

  /**
   * Removes what interrupted writes left: `.part` files of uploads and staging directories of
   * bucket creations that nobody has written for `maxAgeMs`. Uploads in flight write at least
   * every few seconds, so a live one (of this process or another sharing the root) is never taken.
   */
  async sweepInterruptedWrites(maxAgeMs: number, nowMs = Date.now()): Promise<string[]> {
    const staging = await removeStaleEntries(path.join(this.root, 'tmp'), maxAgeMs, { nowMs, select: (name) => name.startsWith('bucket-') });
    let buckets: string[];
    try {
      buckets = await fs.readdir(path.join(this.root, 'buckets'));
    } catch (error) {
      if (isMissingPathError(error)) return staging;
      throw error;
    }
    const parts: string[] = [];
    for (const bucket of buckets) {
      const dir = path.join(this.root, 'buckets', bucket, 'tmp');
      parts.push(...(await removeStaleEntries(dir, maxAgeMs, { nowMs, select: (name) => name.endsWith('.part') })));
    }
    return [...staging, ...parts];
  }

  /** Streams `body` into bucket/key atomically; creates the bucket if missing. */
  async put(bucket: string, key: string, body: NodeJS.ReadableStream | Buffer, options: PutOptions): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const { maxBytes } = options;
    if (!Number.isFinite(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
    }
    if (Buffer.isBuffer(body) && body.length > maxBytes) throw entityTooLarge(maxBytes);
    if (!(await this.findBucket(bucket))) await this.createBucket(bucket, { owner: options.owner });

    const tmpPath = path.join(this.bucketDir(bucket), 'tmp', `${randomUUID()}.part`);
    const file = await fs.open(tmpPath, 'wx');
    let open = true;
    try {
      const written = await writeUploadBody(body, file, objectHeaderBytes, maxBytes);
      const header: ObjectHeader = {
        key,
        size: written.size,
        etag: written.etag,
        mime: chooseMime(options.mime, written.head),
        putTime: Date.now(),
      };
      await writeFully(file, encodeObjectHeader(header), 0);
      await file.sync();
      open = false;
      await file.close();
      // The one step that publishes: readers see the old object or the new one, never a mix.
      await fs.rename(tmpPath, this.objectPath(bucket, key));
      return toInfo(bucket, header);
    } catch (error) {
      if (open) await file.close().catch(() => undefined);
      await fs.rm(tmpPath, { force: true });
      throw error;
    }
  }

  /** 404 NoSuchBucket / NoSuchKey. */
  async stat(bucket: string, key: string): Promise<ObjectInfo> {
    const { file, info } = await this.openObject(bucket, key);
    await file.close();
    return info;
  }

  /** Opens the object for reading; range is inclusive byte offsets (end is clamped to the size). */
  async read(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; stream: NodeJS.ReadableStream }> {
    const { file, info } = await this.openObject(bucket, key);
    try {
      let start = 0;
      let end = info.size - 1;
      if (range) {
        const valid = Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0;
        if (!valid || range.start > range.end || range.start >= info.size) {
          const shown = `${range.start}-${range.end}`;
          throw new StorageError(416, 'InvalidRange', `range ${shown} is outside the object of ${info.size} bytes`);
        }
        start = range.start;
        end = Math.min(range.end, info.size - 1);
      }
      if (end < start) {
        await file.close();
        return { info, stream: Readable.from([]) };
      }
      // The stream owns the handle from here and closes it when it ends or is destroyed.
      const stream = file.createReadStream({ start: objectHeaderBytes + start, end: objectHeaderBytes + end });
      return { info, stream };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /** Reads the whole object into memory; StorageError 413 if larger than maxBytes. */
  async readBuffer(bucket: string, key: string, maxBytes: number): Promise<{ info: ObjectInfo; data: Buffer }> {
    const { file, info } = await this.openObject(bucket, key);
    try {
      if (info.size > maxBytes) throw entityTooLarge(maxBytes);
      const data = Buffer.allocUnsafe(info.size);
      await readFully(file, data, objectHeaderBytes);
      return { info, data };
    } finally {
      await file.close();
    }
  }

  /** 404 when the bucket or key is missing; the bucket stays even when it becomes empty. */
  async delete(bucket: string, key: string): Promise<void> {
    assertBucketName(bucket);
    assertObjectKey(key);
    try {
      // Readers that already opened the object keep their inode until they finish.
      await fs.unlink(this.objectPath(bucket, key));
    } catch (error) {
      if (isMissingPathError(error)) throw await this.missing(bucket, key);
      throw error;
    }
  }

  /** One page of objects in byte order of key; reads file names plus the headers of the page's items only. */
  async list(bucket: string, options: ListOptions = {}): Promise<ListResult> {
    await this.getBucket(bucket);
    // Query strings can hand over arrays; only strings are meaningful here.
    const prefix = textOption(options.prefix);
    const delimiter = textOption(options.delimiter);
    const objectsDir = path.join(this.bucketDir(bucket), 'objects');

    const fileNames = new Map<string, string>();
    const headers = new Map<string, ObjectHeader>();
    const hashed: string[] = [];
    for (const name of await readdirOrEmpty(objectsDir)) {
      const key = fileNameToKey(name);
      if (key !== undefined) fileNames.set(key, name);
      else if (isHashedFileName(name)) hashed.push(name);
    }
    // Long keys are only recoverable from their headers; those headers are kept for the page below.
    await mapLimited(hashed, listReadConcurrency, async (name) => {
      const header = await readObjectHeaderAt(path.join(objectsDir, name));
      if (header && keyToFileName(header.key) === name) {
        fileNames.set(header.key, name);
        headers.set(header.key, header);
      }
    });

    const page = pageKeys(sortKeys([...fileNames.keys()].filter((key) => key.startsWith(prefix))), {
      prefix,
      marker: textOption(options.marker),
      limit: normaliseListLimit(options.limit),
      delimiter,
    });
    const items = await mapLimited(page.keys, listReadConcurrency, async (key) => {
      const header = headers.get(key) ?? (await readObjectHeaderAt(path.join(objectsDir, fileNames.get(key)!)));
      return header && toInfo(bucket, header);
    });

    const result: ListResult = { items: items.filter((item): item is ObjectInfo => item !== undefined) };
    if (page.nextMarker !== undefined) result.nextMarker = page.nextMarker;
    if (delimiter) result.commonPrefixes = page.commonPrefixes;
    return result;
  }

  private bucketDir(bucket: string): string {
    return path.join(this.root, 'buckets', bucket);
  }

  private objectPath(bucket: string, key: string): string {
    return path.join(this.bucketDir(bucket), 'objects', keyToFileName(key));
  }

  private async findBucket(bucket: string): Promise<BucketInfo | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.bucketDir(bucket), 'bucket.json'), 'utf8')) as BucketInfo;
    } catch (error) {
      if (isMissingPathError(error)) return undefined;
      throw error;
    }
  }

  /** Opens an object file and parses its header; the caller owns the returned handle. */
  private async openObject(bucket: string, key: string): Promise<{ file: FileHandle; info: ObjectInfo }> {
    assertBucketName(bucket);
    assertObjectKey(key);
    let file: FileHandle;
    try {
      file = await fs.open(this.objectPath(bucket, key), 'r');
    } catch (error) {
      if (isMissingPathError(error)) throw await this.missing(bucket, key);
      throw error;
    }
    try {
      const header = await readObjectHeader(file);
      // A hashed file name belongs to exactly one key; anything else is a (practically impossible) collision.
      if (header.key !== key) throw noSuchKey(bucket, key);
      return { file, info: toInfo(bucket, header) };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /** The right 404 for a missing object file. */
  private async missing(bucket: string, key: string): Promise<StorageError> {
    return (await this.findBucket(bucket)) ? noSuchKey(bucket, key) : noSuchBucket(bucket);
  }
}

function toInfo(bucket: string, header: ObjectHeader): ObjectInfo {
  return { bucket, key: header.key, size: header.size, etag: header.etag, mime: header.mime, putTime: header.putTime };
}


async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (isMissingPathError(error)) return [];
    throw error;
  }
}
