import type { FileHandle } from 'node:fs/promises';
import { writeFully } from './object-file.format';
import { entityTooLarge, meteredChunks, UploadMeter, WrittenUpload } from './upload-body.meter';

export { entityTooLarge } from './upload-body.meter';
export type { WrittenUpload } from './upload-body.meter';

/** Chunks are gathered to this many bytes before each write, to keep syscalls few on slow-trickling uploads. */
const writeBatchBytes = 1024 * 1024;

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
  if (Buffer.isBuffer(body) && body.length > maxBytes) throw entityTooLarge(maxBytes);
  const meter = new UploadMeter(maxBytes);
  let batch: Buffer[] = [];
  let batchBytes = 0;

  const flush = async () => {
    if (batchBytes === 0) return;
    const data = batch.length === 1 ? batch[0] : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    await writeFully(file, data, position);
    position += data.length;
  };

  for await (const chunk of meteredChunks(body, meter)) {
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= writeBatchBytes) await flush();
  }
  await flush();
  return meter.result();
}
