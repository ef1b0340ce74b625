import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { chooseMime } from '../mime-sniff';
import type { ObjectInfo } from '../storage.types';
import { StorageError } from '../storage.errors';
import { meteredChunks, UploadMeter } from '../upload-body.meter';
import { objectMetadata } from './s3-object.meta';
import { stagingKey } from './s3-key.layout';

/** A body that ends within this many bytes goes up in one PutObject; larger ones as multipart parts of this size. */
export const s3PartBytes = 8 * 1024 * 1024;
/** Parts of one upload in flight at once: memory per upload is about this times s3PartBytes. */
const partsInFlight = 4;
/** Largest object one CopyObject can publish (S3's limit). */
const maxCopyBytes = 5 * 1024 * 1024 * 1024;

export interface S3Put {
  client: S3Client;
  /** The S3 bucket. */
  s3Bucket: string;
  /** Where the object is published. */
  s3Key: string;
  body: NodeJS.ReadableStream | Buffer;
  maxBytes: number;
  mime?: string;
}

/** What was stored; the caller adds bucket and key. */
export type StoredObject = Pick<ObjectInfo, 'size' | 'etag' | 'mime' | 'putTime'>;

/**
 * Writes one object so that readers see the old version or the whole new one, never a part:
 * the qetag and mime are only known after the last byte, and S3 metadata cannot change after a
 * write, so
 * - a body that ends within one part is gathered and sent with one PutObject, metadata included;
 * - a larger body streams as a multipart upload to a staging key (aborted on any failure, so no
 *   part outlives it), then one server-side CopyObject publishes it under its key with its
 *   metadata, and the staging object is deleted.
 */
export async function writeS3Object(put: S3Put): Promise<StoredObject> {
  const meter = new UploadMeter(put.maxBytes);
  const chunks = meteredChunks(put.body, meter);
  const first: Buffer[] = [];
  let firstBytes = 0;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return putWhole(put, Buffer.concat(first, firstBytes), meter);
    first.push(next.value);
    firstBytes += next.value.length;
    if (firstBytes >= s3PartBytes) break;
  }

  // The meter's own verdicts (413, 400 IncompleteBody) are what the caller must see, not the SDK's wrapping of them.
  let bodyFailure: unknown;
  const rest = async function* () {
    try {
      yield* first;
      yield* chunks;
    } catch (error) {
      bodyFailure = error;
      throw error;
    }
  };
  const body = Readable.from(rest(), { objectMode: false });
  const staging = stagingKey();
  try {
    const upload = new Upload({
      client: put.client,
      params: { Bucket: put.s3Bucket, Key: staging, Body: body },
      partSize: s3PartBytes,
      queueSize: partsInFlight,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw bodyFailure ?? error;
    }
    const stored = storedObject(put, meter);
    if (stored.size > maxCopyBytes) throw new StorageError(413, 'EntityTooLarge', `objects over ${maxCopyBytes} bytes are not supported on S3 storage`);
    await put.client.send(
      new CopyObjectCommand({
        Bucket: put.s3Bucket,
        Key: put.s3Key,
        CopySource: `${put.s3Bucket}/${staging}`,
        MetadataDirective: 'REPLACE',
        ContentType: stored.mime,
        Metadata: objectMetadata(stored),
      }),
    );
    return stored;
  } finally {
    body.destroy();
    // Also after a failed copy: the staging object is never anybody's object.
    await put.client.send(new DeleteObjectCommand({ Bucket: put.s3Bucket, Key: staging })).catch(() => undefined);
  }
}

async function putWhole(put: S3Put, data: Buffer, meter: UploadMeter): Promise<StoredObject> {
  const stored = storedObject(put, meter);
  await put.client.send(
    new PutObjectCommand({
      Bucket: put.s3Bucket,
      Key: put.s3Key,
      Body: data,
      ContentLength: data.length,
      ContentType: stored.mime,
      Metadata: objectMetadata(stored),
    }),
  );
  return stored;
}

function storedObject(put: S3Put, meter: UploadMeter): StoredObject {
  const written = meter.result();
  return { size: written.size, etag: written.etag, mime: chooseMime(put.mime, written.head), putTime: Date.now() };
}
