import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { mimeSniffBytes } from './mime-sniff';
import { writeFully } from './object-file.format';
import { QetagHasher } from './qetag';
import { StorageError } from './storage.errors';

/** Chunks are gathered to this many bytes before each write, to keep syscalls few on slow-trickling uploads. */
const writeBatchBytes = 1024 * 1024;

export interface WrittenUpload {
  size: number;
  etag: string;
  /** First bytes, for mime sniffing. */
  head: Buffer;
}

/** 413 naming the limit. */
export function entityTooLarge(maxBytes: number): StorageError {
  return new StorageError(413, 'EntityTooLarge', `object is larger than the limit of ${maxBytes} bytes`);
}

/**
 * Copies `body` into `file` from `position`, hashing and counting as it goes. Over `maxBytes` the
 * source is destroyed (413); a source that errors or closes early becomes 400 IncompleteBody.
 * Failures writing the file itself are real I/O errors and propagate unchanged.
 */
export async function writeUploadBody(
  body: NodeJS.ReadableStream | Buffer,
  file: FileHandle,
  position: number,
  maxBytes: number,
): Promise<WrittenUpload> {
  const hasher = new QetagHasher();
  if (Buffer.isBuffer(body)) {
    if (body.length > maxBytes) throw entityTooLarge(maxBytes);
    await writeFully(file, body, position);
    return { size: body.length, etag: hasher.update(body).digest(), head: body.subarray(0, mimeSniffBytes) };
  }

  const source = body instanceof Readable ? body : new Readable().wrap(body);
  // http.IncomingMessage announces a client abort with 'aborted'; turn it into a stream error.
  const onAborted = () => source.destroy(new Error('request aborted by the client'));
  body.once('aborted', onAborted);
  const chunks = source[Symbol.asyncIterator]();
  const headParts: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let finished = false;

  const flush = async () => {
    if (batchBytes === 0) return;
    const data = batch.length === 1 ? batch[0] : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    await writeFully(file, data, position);
    position += data.length;
  };

  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw new StorageError(400, 'IncompleteBody', `upload body ended early: ${(error as Error)?.message ?? error}`);
      }
      if (next.done) break;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
      size += chunk.length;
      if (size > maxBytes) {
        source.destroy();
        throw entityTooLarge(maxBytes);
      }
      hasher.update(chunk);
      if (headBytes < mimeSniffBytes) {
        headParts.push(chunk.subarray(0, mimeSniffBytes - headBytes));
        headBytes += Math.min(chunk.length, mimeSniffBytes - headBytes);
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= writeBatchBytes) await flush();
    }
    await flush();
    finished = true;
  } finally {
    body.removeListener('aborted', onAborted);
    // Stopping early (e.g. a disk error) must still release the source, or a client upload would hang.
    if (!finished && !source.destroyed) source.destroy();
  }
  return { size, etag: hasher.digest(), head: Buffer.concat(headParts, headBytes) };
}
