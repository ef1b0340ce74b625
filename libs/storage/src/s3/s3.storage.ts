import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { Readable } from 'node:stream';
import { definedOnly, textOption } from '../option-values';
import { mapLimited } from '../map-limited';
import { normaliseListLimit } from '../object-list.pager';
import { noSuchBucket, noSuchKey, StorageError } from '../storage.errors';
import { assertBucketName, assertObjectKey, bucketNameProblem } from '../storage-names.validator';
import type { BucketChange, BucketInfo, BucketOptions, ByteRange, ListOptions, ListResult, ObjectInfo, ObjectStorage, PutOptions } from '../storage.types';
import { entityTooLarge } from '../upload-body.meter';
import { byteWindow } from './byte-window.stream';
import { S3BucketRecords, s3ItemsUnder } from './s3-bucket.records';
import { createS3Client, S3StorageOptions } from './s3-client.factory';
import { bucketRecordsPrefix, objectKey, objectsPrefix, stagingPrefix } from './s3-key.layout';
import { listS3Keys } from './s3-object.lister';
import { objectInfoFromHead } from './s3-object.meta';
import { writeS3Object } from './s3-object.writer';
import { isS3InvalidRange, isS3NotFound, isS3PreconditionFailed, storeUnavailable } from './s3.errors';

/** HEADs a list page (or bucket reads a bucket listing) runs at once. */
const listReadConcurrency = 32;

/**
 * Buckets and objects in an S3-compatible store: every Fopflow bucket is a prefix of one S3
 * bucket (see s3-key.layout.ts), objects keep their qetag and putTime in S3 user metadata and
 * their mime as Content-Type. Reads stream straight from S3, ranged reads ask S3 for the range.
 */
export class S3Storage implements ObjectStorage {
  private readonly client: S3Client;
  private readonly s3Bucket: string;
  private readonly records: S3BucketRecords;
  private ready?: Promise<void>;

  constructor(options: S3StorageOptions, client?: S3Client) {
    this.client = client ?? createS3Client(options);
    this.s3Bucket = options.bucket;
    this.records = new S3BucketRecords(this.client, this.s3Bucket);
  }

  /** Idempotent: an existing bucket returns its info unchanged. */
  async createBucket(bucket: string, options: BucketOptions = {}): Promise<BucketInfo> {
    assertBucketName(bucket);
    const existing = await this.findBucket(bucket);
    if (existing) return existing;
    const info: BucketInfo = { name: bucket, private: options.private ?? false, createdAt: Date.now(), owner: options.owner ?? OPERATOR_ACCOUNT };
    try {
      // If-None-Match: a racing creator either wins or finds the other's record (where the server supports it).
      await this.records.write(info, true);
    } catch (error) {
      if (!isS3PreconditionFailed(error)) throw storeUnavailable(error, `creating bucket ${bucket}`);
    }
    // What is stored is the answer, so racing creators agree on the owner.
    return this.getBucket(bucket);
  }

  /** 404 NoSuchBucket when missing. */
  async getBucket(bucket: string): Promise<BucketInfo> {
    assertBucketName(bucket);
    const info = await this.findBucket(bucket);
    if (!info) throw noSuchBucket(bucket);
    return info;
  }

  async updateBucket(bucket: string, change: BucketChange): Promise<BucketInfo> {
    const info = { ...(await this.getBucket(bucket)), ...definedOnly(change) };
    await this.records.write(info, false).catch((error) => {
      throw storeUnavailable(error, `updating bucket ${bucket}`);
    });
    return info;
  }

  /** All buckets, by name. */
  async listBuckets(): Promise<BucketInfo[]> {
    const names: string[] = [];
    for await (const key of this.keysUnder(bucketRecordsPrefix)) {
      const name = key.slice(bucketRecordsPrefix.length);
      if (!bucketNameProblem(name)) names.push(name);
    }
    const infos = await mapLimited(names.sort(), listReadConcurrency, (name) => this.findBucket(name));
    return infos.filter((info): info is BucketInfo => info !== undefined);
  }

  /** Streams `body` into bucket/key atomically; creates the bucket if missing. */
  async put(bucket: string, key: string, body: NodeJS.ReadableStream | Buffer, options: PutOptions): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const { maxBytes } = options;
    if (!Number.isFinite(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
    if (Buffer.isBuffer(body) && body.length > maxBytes) throw entityTooLarge(maxBytes);
    const s3Key = objectKey(bucket, key);
    if (!(await this.findBucket(bucket))) await this.createBucket(bucket, { owner: options.owner });
    try {
      const stored = await writeS3Object({ client: this.client, s3Bucket: this.s3Bucket, s3Key, body, maxBytes, mime: options.mime });
      return { bucket, key, ...stored };
    } catch (error) {
      throw storeUnavailable(error, `storing ${bucket}/${key}`);
    }
  }

  /** 404 NoSuchBucket / NoSuchKey. */
  async stat(bucket: string, key: string): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const s3Key = objectKey(bucket, key);
    await this.ensureS3Bucket();
    try {
      return objectInfoFromHead(bucket, key, await this.client.send(new HeadObjectCommand({ Bucket: this.s3Bucket, Key: s3Key })));
    } catch (error) {
      if (isS3NotFound(error)) throw await this.missing(bucket, key);
      throw storeUnavailable(error, `reading ${bucket}/${key}`);
    }
  }

  /** Streams the object from S3; a range is asked of S3, so only its bytes travel. */
  async read(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; stream: NodeJS.ReadableStream }> {
    assertBucketName(bucket);
    assertObjectKey(key);
    const s3Key = objectKey(bucket, key);
    // S3 ignores a malformed range and answers the whole object; Fopflow refuses it.
    if (range && !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.start <= range.end)) {
      throw outsideRange(range, (await this.stat(bucket, key)).size);
    }
    await this.ensureS3Bucket();
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.s3Bucket, Key: s3Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      const info = objectInfoFromHead(bucket, key, answer);
      const body = (answer.Body as Readable | undefined) ?? Readable.from([]);
      return { info, stream: range ? exactRange(body, answer.ContentRange, range, info.size) : body };
    } catch (error) {
      if (isS3NotFound(error)) throw await this.missing(bucket, key);
      if (range && isS3InvalidRange(error)) throw outsideRange(range, (await this.stat(bucket, key)).size);
      throw storeUnavailable(error, `reading ${bucket}/${key}`);
    }
  }

  /** Reads the whole object into memory; StorageError 413 (before a byte is read) if larger than maxBytes. */
  async readBuffer(bucket: string, key: string, maxBytes: number): Promise<{ info: ObjectInfo; data: Buffer }> {
    const { info, stream } = await this.read(bucket, key);
    const body = stream as Readable;
    if (info.size > maxBytes) {
      body.destroy();
      throw entityTooLarge(maxBytes);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length;
        if (bytes > maxBytes) throw entityTooLarge(maxBytes);
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      body.destroy();
      throw storeUnavailable(error, `reading ${bucket}/${key}`);
    }
    return { info, data: Buffer.concat(chunks, bytes) };
  }

  /** 404 when the bucket or key is missing; the bucket stays even when it becomes empty. */
  async delete(bucket: string, key: string): Promise<void> {
    await this.stat(bucket, key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s3Bucket, Key: objectKey(bucket, key) })).catch((error) => {
      throw storeUnavailable(error, `deleting ${bucket}/${key}`);
    });
  }

  /** One page of objects in byte order of key: S3 lists the keys, a HEAD per item reads its metadata. */
  async list(bucket: string, options: ListOptions = {}): Promise<ListResult> {
    await this.getBucket(bucket);
    const delimiter = textOption(options.delimiter);
    let page;
    try {
      page = await listS3Keys({
        client: this.client,
        s3Bucket: this.s3Bucket,
        root: objectsPrefix(bucket),
        prefix: textOption(options.prefix),
        marker: textOption(options.marker),
        limit: normaliseListLimit(options.limit),
        delimiter,
      });
    } catch (error) {
      throw storeUnavailable(error, `listing ${bucket}`);
    }
    const items = await mapLimited(page.keys, listReadConcurrency, (key) =>
      // An object deleted since the listing is simply not on the page.
      this.stat(bucket, key).catch((error: unknown) => {
        if (error instanceof StorageError && error.status === 404) return undefined;
        throw error;
      }),
    );
    const result: ListResult = { items: items.filter((item): item is ObjectInfo => item !== undefined) };
    if (page.nextMarker !== undefined) result.nextMarker = page.nextMarker;
    if (delimiter) result.commonPrefixes = page.commonPrefixes;
    return result;
  }

  /**
   * Removes what interrupted writes left: staging objects and multipart uploads under uploads/
   * older than `maxAgeMs`. Servers that cannot list multipart uploads (s3rver) keep theirs; on
   * AWS a lifecycle rule (AbortIncompleteMultipartUpload) does the same job.
   */
  async sweepInterruptedWrites(maxAgeMs: number, nowMs = Date.now()): Promise<string[]> {
    await this.ensureS3Bucket();
    const removed: string[] = [];
    const before = nowMs - maxAgeMs;
    for await (const item of this.itemsUnder(stagingPrefix)) {
      if ((item.LastModified?.getTime() ?? nowMs) > before) continue;
      await this.client.send(new DeleteObjectCommand({ Bucket: this.s3Bucket, Key: item.Key }));
      removed.push(item.Key!);
    }
    const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.s3Bucket, Prefix: stagingPrefix })).catch(() => undefined);
    for (const upload of uploads?.Uploads ?? []) {
      if ((upload.Initiated?.getTime() ?? nowMs) > before) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.s3Bucket, Key: upload.Key, UploadId: upload.UploadId }));
      removed.push(`${upload.Key} (multipart ${upload.UploadId})`);
    }
    return removed;
  }

  private async findBucket(bucket: string): Promise<BucketInfo | undefined> {
    await this.ensureS3Bucket();
    return this.records.read(bucket);
  }

  /** The right 404 for a missing object. */
  private async missing(bucket: string, key: string): Promise<StorageError> {
    return (await this.findBucket(bucket)) ? noSuchKey(bucket, key) : noSuchBucket(bucket);
  }

  /** Makes the S3 bucket on first use when it is not there (with rights to; otherwise the operator makes it). */
  private ensureS3Bucket(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.s3Bucket }));
      } catch (error) {
        if (!isS3NotFound(error)) throw error;
        await this.client.send(new CreateBucketCommand({ Bucket: this.s3Bucket }));
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw storeUnavailable(error, `opening S3 bucket ${this.s3Bucket}`);
    });
    return this.ready;
  }

  private async *keysUnder(prefix: string): AsyncGenerator<string> {
    for await (const item of this.itemsUnder(prefix)) yield item.Key!;
  }

  private async *itemsUnder(prefix: string): AsyncGenerator<{ Key?: string; LastModified?: Date }> {
    await this.ensureS3Bucket();
    yield* s3ItemsUnder(this.client, this.s3Bucket, prefix);
  }

}

/** The asked-for bytes of a ranged answer, whatever the server actually sent (see byte-window.stream.ts). */
function exactRange(body: Readable, contentRange: string | undefined, range: ByteRange, size: number): Readable {
  const sentFrom = Number(/^bytes (\d+)-/.exec(contentRange ?? '')?.[1] ?? 0);
  return byteWindow(body, range.start - sentFrom, Math.min(range.end, size - 1) - range.start + 1);
}

function outsideRange(range: ByteRange, size: number): StorageError {
  return new StorageError(416, 'InvalidRange', `range ${range.start}-${range.end} is outside the object of ${size} bytes`);
}
