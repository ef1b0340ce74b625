import { randomUUID } from 'node:crypto';
import { maxKeyBytes } from '../storage-names.validator';
import { StorageError } from '../storage.errors';

/**
 * Where things live inside the one S3 bucket. Fopflow buckets are prefixes, not S3 buckets: S3
 * bucket names are global on AWS and creating one needs rights a media service should not hold,
 * while a prefix is free, private to the deployment and listed with the same prefix/delimiter
 * semantics. Bucket records (owner, private flag) are small JSON objects beside the objects.
 *
 *   buckets/<bucket>        the bucket's record (BucketInfo as JSON)
 *   objects/<bucket>/<key>  an object, its metadata in S3 user metadata
 *   uploads/<uuid>          a large upload until it is published under its key
 *   resumable/<uploadId>/   the parts of a resumable (Qiniu v2) upload until its completion
 */
export const bucketRecordsPrefix = 'buckets/';
export const stagingPrefix = 'uploads/';
export const resumablePartsPrefix = 'resumable/';

export function bucketRecordKey(bucket: string): string {
  return `${bucketRecordsPrefix}${bucket}`;
}

/** The prefix all of a bucket's objects share. */
export function objectsPrefix(bucket: string): string {
  return `objects/${bucket}/`;
}

/** S3 key of an object; 400 InvalidKey when the prefix pushes it past S3's 1024-byte limit. */
export function objectKey(bucket: string, key: string): string {
  const s3Key = `${objectsPrefix(bucket)}${key}`;
  if (Buffer.byteLength(s3Key, 'utf8') > maxKeyBytes) {
    const room = maxKeyBytes - Buffer.byteLength(objectsPrefix(bucket), 'utf8');
    throw new StorageError(400, 'InvalidKey', `key is ${Buffer.byteLength(key, 'utf8')} UTF-8 bytes; in bucket ${bucket} on S3 storage the limit is ${room}`);
  }
  return s3Key;
}

/** A fresh key for an upload in flight. */
export function stagingKey(): string {
  return `${stagingPrefix}${randomUUID()}`;
}
