import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { guardedFetch, OutboundGuard } from '@fopflow/outbound';
import { declaredStatus } from '@fopflow/queue';
import { pipeline } from 'node:stream/promises';
import { ObjectInfo, ObjectStorage } from '@fopflow/storage';

/** How long fetching a URL source may take, in ms. */
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

/**
 * Fetches a URL source into the work directory behind the SSRF guard: every address it resolves
 * to, and every redirect, is checked, and the body is bounded by maxBytes.
 */
export async function fetchUrl(url: string, target: string, guard: OutboundGuard, maxBytes: number): Promise<{ mime: string }> {
  let answer;
  try {
    answer = await guardedFetch(url, { method: 'GET' }, guard, { maxResponseBytes: maxBytes, timeoutMs: URL_SOURCE_TIMEOUT_MS });
  } catch (error) {
    throw new FetchError(declaredStatus(error) ?? 502, `source URL could not be fetched: ${(error as Error).message}`);
  }
  if (answer.status < 200 || answer.status >= 300) throw new FetchError(424, `source URL answered ${answer.status}`);
  if (answer.truncated) throw new FetchError(413, `source URL body is over maxSourceBytes ${maxBytes}`);
  await writeFile(target, answer.body);
  return { mime: String(answer.headers['content-type'] ?? 'application/octet-stream').split(';')[0] };
}
