import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ObjectInfo, ObjectStorage } from '@fopflow/storage';

/** Thrown with the HTTP status a failed fetch maps to. */
export class FetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Copies an object from storage into the job's work directory: the worker fetches its source
 * itself, so the gateway never carries media bytes. The size limit is checked before a byte moves.
 */
export async function fetchObject(
  storage: ObjectStorage,
  ref: { bucket: string; key: string; etag?: string },
  target: string,
  maxBytes: number,
): Promise<ObjectInfo> {
  const { info, stream } = await storage.read(ref.bucket, ref.key);
  if (ref.etag !== undefined && info.etag !== ref.etag) {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    throw new FetchError(409, `source ${ref.bucket}/${ref.key} changed while the job waited; request it again`);
  }
  if (info.size > maxBytes) {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    throw new FetchError(413, `source ${ref.bucket}/${ref.key} is ${info.size} bytes, over maxSourceBytes ${maxBytes}`);
  }
  await pipeline(stream, createWriteStream(target));
  return info;
}
