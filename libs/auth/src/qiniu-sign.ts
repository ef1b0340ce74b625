import { createHmac, timingSafeEqual } from 'node:crypto';

/** URL-safe base64 (`-` and `_`), padding kept, as Qiniu writes it. */
export function urlsafeBase64(data: Buffer | string): string {
  return Buffer.from(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Decodes URL-safe (or plain) base64, with or without padding; undefined when malformed. */
export function decodeUrlsafeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) return undefined;
  const plain = text.replace(/-/g, '+').replace(/_/g, '/');
  if (plain.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(plain, 'base64');
}

/** `urlsafe_base64(HMAC-SHA1(secretKey, data))`: Qiniu's signature of everything. */
export function qiniuSign(secretKey: string, data: string | Buffer): string {
  return urlsafeBase64(createHmac('sha1', secretKey).update(data).digest());
}

/** Constant-time comparison of two signatures. */
export function signaturesEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `urlsafe_base64("<bucket>:<key>")`, Qiniu's EncodedEntryURI; a bucket alone without a key, as Qiniu's SDKs encode it. */
export function encodeEntryUri(bucket: string, key?: string): string {
  return urlsafeBase64(key === undefined ? bucket : `${bucket}:${key}`);
}
