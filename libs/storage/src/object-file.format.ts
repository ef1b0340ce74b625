import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isMissingPathError } from './storage.errors';

/**
 * Every object is one file: a fixed-size header (key, size, etag, mime, putTime) followed by the
 * bytes. Keeping both in one inode makes a put a single rename, so there is never a meta file
 * pointing at a missing or orphaned blob, and readers holding the old inode keep reading it.
 */
export const objectHeaderBytes = 4096;

const magic = Buffer.from('FOPFLOW\u0001', 'latin1');
const lengthOffset = magic.length;
const jsonOffset = lengthOffset + 4;

/** What the header stores; the bucket comes from the file's location. */
export interface ObjectHeader {
  key: string;
  size: number;
  etag: string;
  mime: string;
  putTime: number;
}

/** Serialises a header into exactly `objectHeaderBytes` bytes. */
export function encodeObjectHeader(header: ObjectHeader): Buffer {
  const json = Buffer.from(
    JSON.stringify({ key: header.key, size: header.size, etag: header.etag, mime: header.mime, putTime: header.putTime }),
    'utf8',
  );
  // Keys (<= 1024 bytes, at most doubled by escaping) and mimes (<= 255) keep this far below the limit.
  if (jsonOffset + json.length > objectHeaderBytes) throw new Error(`object header of ${json.length} bytes does not fit`);
  const block = Buffer.alloc(objectHeaderBytes);
  magic.copy(block, 0);
  block.writeUInt32BE(json.length, lengthOffset);
  json.copy(block, jsonOffset);
  return block;
}

/** Parses a header block; throws a plain Error for files this storage did not write. */
export function decodeObjectHeader(block: Buffer, fileBytes: number): ObjectHeader {
  const corrupt = (why: string) => new Error(`corrupt object file: ${why}`);
  if (block.length < objectHeaderBytes || !block.subarray(0, magic.length).equals(magic)) throw corrupt('bad magic');
  const jsonBytes = block.readUInt32BE(lengthOffset);
  if (jsonOffset + jsonBytes > objectHeaderBytes) throw corrupt('header length out of range');
  let parsed: Partial<Record<keyof ObjectHeader, unknown>>;
  try {
    parsed = JSON.parse(block.toString('utf8', jsonOffset, jsonOffset + jsonBytes));
  } catch {
    throw corrupt('header is not JSON');
  }
  const { key, size, etag, mime, putTime } = parsed;
  if (typeof key !== 'string' || typeof etag !== 'string' || typeof mime !== 'string') throw corrupt('missing fields');
  if (typeof size !== 'number' || typeof putTime !== 'number') throw corrupt('missing fields');
  if (objectHeaderBytes + size !== fileBytes) throw corrupt(`size ${size} does not match the file`);
  return { key, size, etag, mime, putTime };
}

/** Reads and parses the header of an open object file. */
export async function readObjectHeader(file: FileHandle): Promise<ObjectHeader> {
  const { size: fileBytes } = await file.stat();
  const block = Buffer.alloc(objectHeaderBytes);
  await readFully(file, block, 0);
  return decodeObjectHeader(block, fileBytes);
}

/** Header of the object file at `filePath`, or undefined if it was deleted meanwhile. */
export async function readObjectHeaderAt(filePath: string): Promise<ObjectHeader | undefined> {
  let file: FileHandle;
  try {
    file = await fs.open(filePath, 'r');
  } catch (error) {
    if (isMissingPathError(error)) return undefined;
    throw error;
  }
  try {
    return await readObjectHeader(file);
  } finally {
    await file.close();
  }
}

/** Fills `target` from `position`, failing if the file ends first. */
export async function readFully(file: FileHandle, target: Buffer, position: number): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await file.read(target, filled, target.length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`object file ended after ${position + filled} bytes`);
    filled += bytesRead;
  }
}

/** Writes all of `data` at `position`, looping over short writes. */
export async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}
