import { createWriteStream } from 'node:fs';
import { guardedFetch, OutboundGuard } from '@fopflow/outbound';
import { declaredStatus } from '@fopflow/errors';
import { pipeline } from 'node:stream/promises';
import { ObjectInfo, ObjectStorage } from '@fopflow/storage';
import type { SourceCache, SourceLease } from './source.cache';

/** How long fetching a URL source or an outside mark may take, in ms. */
const URL_SOURCE_TIMEOUT_MS = 60_000;

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
 * Brings sources to this instance (the seed's Fetcher): through the instance's SourceCache, so
 * jobs on one source version read the storage once between them. It reads only through the
 * ObjectStorage face, never a path of the storage's own, so any driver plugs in behind it.
 */
export class SourceFetcher {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly cache: SourceCache<ObjectInfo>,
    /** Largest source fetched, in bytes; checked before a byte moves. */
    private readonly maxBytes: number,
  ) {}

  /**
   * A local file of `ref` at its etag, leased until the caller releases it; 409 when the object
   * changed since. A ref without an etag (a job from an older gateway) takes the current version.
   */
  async fetch(ref: { bucket: string; key: string; etag?: string }): Promise<SourceLease<ObjectInfo>> {
    const etag = ref.etag || (await this.storage.stat(ref.bucket, ref.key)).etag;
    const pinned = { bucket: ref.bucket, key: ref.key, etag };
    return this.cache.lease(`${ref.bucket}/${ref.key}`, etag, (path) => fetchObject(this.storage, pinned, path, this.maxBytes));
  }
}

/**
 * Copies an object from storage into a local file: the worker fetches its source
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

/**
 * Fetches a URL into memory behind the SSRF guard (a URL source, a mark on another site): every
 * address it resolves to, and every redirect, is checked, and the body is bounded by maxBytes.
 * `what` names the URL in messages. A blocked target is the guard's 400, an answer other than
 * 2xx a 424, a body over the bound a 413, any other failure (DNS, connect, timeout) a 502.
 */
export async function fetchUrl(url: string, guard: OutboundGuard, maxBytes: number, what = 'source URL'): Promise<{ data: Buffer; mime: string }> {
  let answer;
  try {
    answer = await guardedFetch(url, { method: 'GET' }, guard, { maxResponseBytes: maxBytes, timeoutMs: URL_SOURCE_TIMEOUT_MS });
  } catch (error) {
    throw new FetchError(declaredStatus(error) ?? 502, `${what} could not be fetched: ${(error as Error).message}`);
  }
  if (answer.status < 200 || answer.status >= 300) throw new FetchError(424, `${what} answered ${answer.status}`);
  if (answer.truncated) throw new FetchError(413, `${what} body is over maxSourceBytes ${maxBytes}`);
  return { data: answer.body, mime: String(answer.headers['content-type'] ?? 'application/octet-stream').split(';')[0] };
}
