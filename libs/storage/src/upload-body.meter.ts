import { Readable } from 'node:stream';
import { mimeSniffBytes } from './mime-sniff';
import { QetagHasher } from './qetag';
import { StorageError } from './storage.errors';

/** What an upload body turned out to be, known once its last byte went by. */
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

/** Counts, hashes (qetag) and keeps the first bytes of what passes through it. */
export class UploadMeter {
  private readonly hasher = new QetagHasher();
  private readonly headParts: Buffer[] = [];
  private headBytes = 0;
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Takes the next chunk; 413 once the total passes maxBytes. */
  take(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw entityTooLarge(this.maxBytes);
    this.hasher.update(chunk);
    if (this.headBytes < mimeSniffBytes) {
      this.headParts.push(chunk.subarray(0, mimeSniffBytes - this.headBytes));
      this.headBytes += Math.min(chunk.length, mimeSniffBytes - this.headBytes);
    }
  }

  result(): WrittenUpload {
    return { size: this.size, etag: this.hasher.digest(), head: Buffer.concat(this.headParts, this.headBytes) };
  }
}

/**
 * The chunks of an upload body, each one taken by `meter` before it is handed on. Over the limit
 * the source is destroyed (413); a source that errors or closes early becomes 400 IncompleteBody.
 * However the consumer stops, the source is released, or a client upload would hang.
 */
export async function* meteredChunks(body: NodeJS.ReadableStream | Buffer, meter: UploadMeter): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(body)) {
    meter.take(body);
    yield body;
    return;
  }
  // A request aborted before its body was read (the store answered slowly) says so on itself; its 'aborted' event is gone.
  if ((body as { aborted?: unknown }).aborted === true) throw new StorageError(400, 'IncompleteBody', 'upload body ended early: request aborted by the client');
  const source = body instanceof Readable ? body : new Readable().wrap(body);
  // http.IncomingMessage announces a client abort with 'aborted'; turn it into a stream error.
  const onAborted = () => source.destroy(new Error('request aborted by the client'));
  body.once('aborted', onAborted);
  const chunks = source[Symbol.asyncIterator]();
  let finished = false;
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
      meter.take(chunk);
      yield chunk;
    }
    finished = true;
  } finally {
    body.removeListener('aborted', onAborted);
    if (!finished && !source.destroyed) source.destroy();
  }
}
