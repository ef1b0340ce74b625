import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One regular file in a tar archive. */
export interface TarEntry {
  /** Path inside the archive, without a leading `./`. */
  name: string;
  data: Buffer;
  /** Unix permission bits (default 0o644). */
  mode?: number;
}

const BLOCK = 512;

/** True when the bytes start with gzip's magic number. */
export const isGzip = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Reads the regular files of a tar or tar.gz archive (ustar, with pax and GNU long names, which
 * is what GNU tar, bsdtar and node-tar write). Hand-written on purpose, and kept so after trying
 * tar-stream: its public API is streams only (the header codec is not exported), so every
 * caller would turn async — the gateway checks an upload's ufop.yaml synchronously while it
 * answers the POST, and the builder repacks in memory. The archive is already one bounded
 * Buffer (maxUnpackedBytes), so a stream buys nothing here; the tests below read and write
 * archives of GNU tar to hold this code to the format.
 */
export function readTar(archive: Buffer, maxUnpackedBytes: number): TarEntry[] {
  const tar = isGzip(archive) ? gunzipSync(archive, { maxOutputLength: maxUnpackedBytes }) : archive;
  if (tar.length < BLOCK) throw new Error(`not a tar archive (${tar.length} bytes, less than one ${BLOCK}-byte header)`);
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) {
      throw new Error(offset === 0 ? 'not a tar archive (its first header has no valid checksum)' : `tar: damaged header at byte ${offset} (checksum mismatch)`);
    }
    const size = parseInt(field(header, 124, 12) || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`tar: bad size in the header at byte ${offset}`);
    const type = String.fromCharCode(header[156] || 0x30);
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
    } else if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? longName;
    } else {
      const prefix = field(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = undefined;
      const mode = parseInt(field(header, 100, 8) || '644', 8) & 0o7777;
      if (type === '0' || type === '\0') entries.push({ name: name.replace(/^(\.\/)+/, ''), data: Buffer.from(data), mode });
    }
  }
  return entries;
}

/**
 * A header's checksum: the sum of its bytes, its own 8-byte field counted as spaces; `signed`
 * counts bytes as int8, as some old tar programs did (readers accept either).
 */
function headerChecksum(header: Buffer, signed = false): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i];
    sum += signed && byte > 127 ? byte - 256 : byte;
  }
  return sum;
}

function checksumMatches(header: Buffer): boolean {
  const recorded = parseInt(field(header, 148, 8), 8);
  return recorded === headerChecksum(header) || recorded === headerChecksum(header, true);
}

/**
 * Writes a ustar archive of regular files, owned by root: a build context, or an upload made
 * safe to unpack. A name over 100 bytes goes ahead in a GNU long-name entry, as GNU tar does.
 */
export function writeTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  const add = (name: string, data: Buffer, mode: number, type: string): void => {
    const header = Buffer.alloc(BLOCK);
    header.write(name, 0, 100, 'utf8');
    header.write(octal(mode, 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(data.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write(type, 156);
    header.write('ustar\u000000', 257, 'latin1');
    const checksum = headerChecksum(header);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  };
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    if (name.length > 100) add('././@LongLink', Buffer.concat([name, Buffer.alloc(1)]), 0o644, 'L');
    add(entry.name, entry.data, entry.mode ?? 0o644, '0');
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

const field = (header: Buffer, start: number, length: number): string =>
  header.toString('utf8', start, start + length).replace(/\0.*$/s, '').trim();

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;

/**
 * The regular files under `root` as tar entries (names relative to it, with `/`, and their
 * permission bits), skipping directories named in `skip` (by default .git and node_modules:
 * dependencies are installed by build_script, history is not code). Fails with the filesystem's error when something cannot be read.
 */
export async function packDirectory(root: string, skip: ReadonlySet<string> = new Set(['.git', 'node_modules'])): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) await walk(path);
      } else if (entry.isFile()) {
        const { mode } = await fs.stat(path);
        entries.push({ name: relative(root, path).split('\\').join('/'), data: await fs.readFile(path), mode: mode & 0o777 });
      }
    }
  };
  await walk(root);
  return entries;
}
