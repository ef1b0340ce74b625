import { type StepAt, quoteToken, stepError } from './params';

// Qiniu passes free text and URLs inside a fop as URL-safe base64 so they cannot collide with
// '/' and '|'. These helpers decode them strictly and write them back canonically: URL-safe
// alphabet, no padding, so two spellings of the same text share one cache key.

/** One of our stored objects, named inside a fop (a stored wmImage or watermark image, avconcat sources). */
export interface ObjectRef {
  bucket: string;
  key: string;
}

const urlsafeBase64 = /^[A-Za-z0-9_-]*={0,2}$/;
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest key, in UTF-8 bytes; mirrors libs/storage (the grammar stays free of I/O imports). */
const maxKeyBytes = 1024;
const bucketName = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const reservedBuckets = new Set(['v1', 'admin', 'metrics', 'health', 'ready', 'pfop', 'status']);

/**
 * Decodes URL-safe base64 (padding optional) into UTF-8 text of 1..maxChars characters with no
 * control characters; `what` says what the text is, for the message.
 */
export function decodeBase64Text(at: StepAt, label: string, token: string, what: string, maxChars: number): string {
  const bad = (problem: string) => stepError(at, `${label} must be ${what} in URL-safe base64; ${problem}, got ${quoteToken(token)}`, token);
  const body = token.replace(/=+$/, '');
  if (!urlsafeBase64.test(token) || body.length % 4 === 1) throw bad('it is not valid base64');
  if (body.length === 0) throw bad('it is empty');
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.from(body, 'base64url'));
  } catch {
    throw bad('it does not decode to UTF-8 text');
  }
  if (controlCharacter.test(text)) throw bad('the text holds a control character');
  if (Array.from(text).length > maxChars) throw bad(`the text is over ${maxChars} characters`);
  return text;
}

/** URL-safe base64 without padding: the canonical spelling of an encoded parameter. */
export function encodeBase64Text(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Reads `http(s)://<host>/<bucket>/<key>` (percent-escapes allowed in the key) as one of OUR objects:
 * a URL is only a way to name a bucket and key, the form Qiniu's SDKs already produce. Which URLs
 * name our objects at all (marks on other hosts are fetched instead) is mark-source.params.ts's call.
 */
export function parseObjectUrl(at: StepAt, label: string, token: string): ObjectRef {
  const url = decodeBase64Text(at, label, token, 'a URL of an object, http(s)://<host>/<bucket>/<key>,', 2048);
  const bad = (problem: string) => stepError(at, `${label}: ${problem}, got ${quoteToken(token)}`, token);
  const match = /^https?:\/\/[^/?#\s]+\/([^/?#]+)\/([^?#]+)$/i.exec(url);
  if (!match) throw bad('the URL must be http(s)://<host>/<bucket>/<key> with no query or fragment');
  const [, bucket, escapedKey] = match;
  if (!bucketName.test(bucket) || reservedBuckets.has(bucket)) {
    throw bad('the URL names no valid bucket (3-63 characters of a-z, 0-9 and -)');
  }
  let key: string;
  try {
    key = decodeURIComponent(escapedKey);
  } catch {
    throw bad('the key holds a broken percent-escape');
  }
  if (controlCharacter.test(key)) throw bad('the key holds a control character');
  if (Buffer.byteLength(key, 'utf8') > maxKeyBytes) throw bad(`the key is over ${maxKeyBytes} UTF-8 bytes`);
  if (key.startsWith('/') || key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw bad("the key must not start with '/' nor hold '.' or '..' segments");
  }
  return { bucket, key };
}

/**
 * Canonical encoded URL of an object. The one-character host keeps the canonical text no longer
 * than what the client wrote; only the characters that would end the path are escaped.
 */
export function formatObjectUrl(ref: ObjectRef): string {
  const key = ref.key.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encodeBase64Text(`http://o/${ref.bucket}/${key}`);
}
