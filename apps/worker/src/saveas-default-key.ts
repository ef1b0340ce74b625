import { QetagHasher, qetag } from '@fopflow/storage';
import { createReadStream } from 'node:fs';

/** A result to be saved: the bytes in hand, or the file they were written to. */
export type SavedBody = Buffer | { file: string };

/**
 * Qiniu's default key for a bucket-only saveas (`saveas/<base64url(bucket)>`): the result is named
 * by its own qetag, as Qiniu names an upload or a persistent result it is given no key for. The
 * same result therefore always lands on the same key, whichever worker made it.
 */
export async function defaultSaveasKey(body: SavedBody): Promise<string> {
  if (Buffer.isBuffer(body)) return qetag(body);
  const hasher = new QetagHasher();
  for await (const chunk of createReadStream(body.file)) hasher.update(chunk as Buffer);
  return hasher.digest();
}
