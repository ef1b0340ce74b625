import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { mimeSniffBytes, QetagHasher } from '@fopflow/storage';
import { GatewayError } from '../http/error.filter';

/** How long an unfinished multipart upload lives, in seconds (Qiniu: 7 days). */
export const MULTIPART_UPLOAD_TTL_S = 7 * 24 * 3600;
/** Highest part number, as at Qiniu. */
export const MAX_PART_NUMBER = 10_000;
/** Largest part, in bytes (Qiniu: 1 GiB); also bounded by maxUploadBytes. */
export const MAX_PART_BYTES = 1024 * 1024 * 1024;

/** What an upload was started for; kept beside its parts. */
export interface MultipartUploadMeta {
  uploadId: string;
  bucket: string;
  /** The key in the URL (`~` for none), decoded; undefined when none was named. */
  key?: string;
  /** Access key of the token that started it: only a token of the same key may go on. */
  accessKey: string;
  createdAt: number;
  /** Unix seconds after which the upload is gone. */
  expireAt: number;
}

/** One stored part. */
export interface StoredPart {
  partNumber: number;
  /** MD5 of the part, hex: its etag. */
  etag: string;
  size: number;
  put: number;
}

/**
 * Where the parts of resumable (v2) uploads wait for their completion: on the gateway's disk
 * (LocalDiskUploadStore) or, with S3 storage, in the store every gateway shares (S3UploadStore).
 * Nothing of an upload is an object until it is completed; abort and expiry remove all of it.
 * Every method but `create` and `meta` is called only for an upload `meta` has answered.
 */
export interface MultipartUploadStore {
  /** Starts an upload and answers its record. */
  create(bucket: string, key: string | undefined, accessKey: string): Promise<MultipartUploadMeta>;
  /** The upload's record; 612 `no such uploadId` when missing, expired or of another bucket/key. */
  meta(uploadId: string, bucket: string, key: string | undefined): Promise<MultipartUploadMeta>;
  /** Streams one part in, replacing an earlier one of the same number; 413 past `maxBytes`. */
  putPart(uploadId: string, partNumber: number, body: Readable, maxBytes: number, contentMd5?: string): Promise<StoredPart>;
  /** The stored parts, by number. */
  parts(uploadId: string): Promise<StoredPart[]>;
  /** The listed parts one after another, as one stream. */
  open(uploadId: string, listed: Array<{ partNumber: number }>): Readable;
  /** Removes the upload and every part of it. */
  remove(uploadId: string): Promise<void>;
  /** Removes uploads whose lifetime is over; answers what it removed. */
  sweepExpired(nowMs?: number): Promise<string[]>;
}

/** A record for a new upload. */
export function newUploadMeta(bucket: string, key: string | undefined, accessKey: string): MultipartUploadMeta {
  const now = Date.now();
  return { uploadId: randomBytes(16).toString('hex'), bucket, ...(key !== undefined && { key }), accessKey, createdAt: now, expireAt: Math.floor(now / 1000) + MULTIPART_UPLOAD_TTL_S };
}

/** True for what `newUploadMeta` makes: the only upload ids a store ever looks up. */
export function isUploadId(uploadId: string): boolean {
  return /^[0-9a-f]{32}$/.test(uploadId);
}

/** Qiniu's answer for an upload that is not there (or not the caller's to see). */
export function noSuchUpload(uploadId: string): GatewayError {
  return new GatewayError(612, `no such uploadId '${uploadId.slice(0, 64)}'`);
}

/** `found`, when it is a live upload of this bucket and key; 612 otherwise. */
export function liveUploadMeta(found: MultipartUploadMeta | undefined, uploadId: string, bucket: string, key: string | undefined): MultipartUploadMeta {
  if (!found || found.bucket !== bucket || found.key !== key || found.expireAt * 1000 < Date.now()) throw noSuchUpload(uploadId);
  return found;
}

/**
 * Checks the parts a completion lists (ascending numbers, each stored with that etag) and
 * answers their total size, qetag and first bytes, read once from the store.
 */
export async function summarizeUpload(
  store: MultipartUploadStore,
  uploadId: string,
  listed: Array<{ partNumber: number; etag: string }>,
): Promise<{ size: number; etag: string; head: Buffer }> {
  const stored = new Map((await store.parts(uploadId)).map((part) => [part.partNumber, part]));
  let previous = 0;
  for (const part of listed) {
    if (part.partNumber <= previous) throw new GatewayError(400, 'parts must be listed in ascending partNumber order, each once');
    previous = part.partNumber;
    const found = stored.get(part.partNumber);
    if (!found || found.etag !== part.etag) throw new GatewayError(400, `part ${part.partNumber} with etag '${String(part.etag).slice(0, 64)}' was not uploaded`);
  }
  const hasher = new QetagHasher();
  const heads: Buffer[] = [];
  let size = 0;
  for await (const chunk of store.open(uploadId, listed)) {
    hasher.update(chunk as Buffer);
    if (size < mimeSniffBytes) heads.push((chunk as Buffer).subarray(0, mimeSniffBytes - size));
    size += (chunk as Buffer).length;
  }
  return { size, etag: hasher.digest(), head: Buffer.concat(heads) };
}
