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
 * is what GNU tar, bsdtar and node-tar write). Hand-written on purpose: it is ~50 lines, and the
 * builder needs only one small file out of the upload, not a streaming extractor.
 */
export function readTar(archive: Buffer, maxUnpackedBytes: number): TarEntry[] {
  const tar = isGzip(archive) ? gunzipSync(archive, { maxOutputLength: maxUnpackedBytes }) : archive;
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
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
      if (type === '0' || type === '\0') entries.push({ name: name.replace(/^(\.\/)+/, ''), data: Buffer.from(data) });
    }
  }
  return entries;
}

/** Writes a plain ustar archive of regular files (names up to 100 bytes): a build context. */
export function writeTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar: name longer than 100 bytes: ${entry.name}`);
    const header = Buffer.alloc(BLOCK);
    header.write(entry.name, 0, 100, 'utf8');
    header.write(octal(entry.mode ?? 0o644, 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(entry.data.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write('        ', 148); // the checksum is computed with its own field as spaces
    header.write('0', 156);
    header.write('ustar\u000000', 257, 'latin1');
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, entry.data, Buffer.alloc((BLOCK - (entry.data.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

const field = (header: Buffer, start: number, length: number): string =>
  header.toString('utf8', start, start + length).replace(/\0.*$/s, '').trim();

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
