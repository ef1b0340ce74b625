import { createHash } from 'node:crypto';

/** Most file systems (ext4, xfs, btrfs, APFS) cap a name at 255 bytes. */
export const maxFileNameBytes = 255;

/** Marks names derived from a hash; such names carry no key, the key lives in the object header. */
const hashedNamePrefix = '=';

const isKeptByte = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || // 0-9
  (byte >= 0x41 && byte <= 0x5a) || // A-Z
  (byte >= 0x61 && byte <= 0x7a) || // a-z
  byte === 0x2d || // -
  byte === 0x5f || // _
  byte === 0x2e; // .

/**
 * File name for an object key. Keys are flat names (both `a` and `a/b` may exist), so every `/`
 * is escaped rather than becoming a directory; names too long for the file system become a hash.
 */
export function keyToFileName(key: string): string {
  let name = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    name += isKeptByte(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // A leading dot would hide the file and `.`/`..` are not files at all.
  if (name.startsWith('.')) name = `%2E${name.slice(1)}`;
  if (name.length <= maxFileNameBytes) return name;
  return hashedNamePrefix + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when the key behind a file name must be read from the file. */
export function isHashedFileName(name: string): boolean {
  return name.startsWith(hashedNamePrefix);
}

/** The key a file name encodes, or undefined for hashed names and names this codec never produces. */
export function fileNameToKey(name: string): string | undefined {
  if (isHashedFileName(name)) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return keyToFileName(key) === name ? key : undefined;
}
