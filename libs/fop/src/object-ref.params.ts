import { type ObjectRef, decodeBase64Text, encodeBase64Text, parseObjectUrl } from './encoded.params';
import { StepAt, quoteToken, stepError } from './params';

// Same rules as libs/storage (the grammar stays free of I/O imports); storage checks again on read.
const bucketName = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const reservedBuckets = new Set(['v1', 'admin', 'metrics', 'health', 'ready', 'pfop', 'status']);
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
const maxKeyBytes = 1024;

const forms = 'http(s)://<host>/<bucket>/<key> or <bucket>:<key>';

/**
 * Parses URL-safe base64 of `http(s)://<host>/<bucket>/<key>` or of Qiniu's entry form
 * `<bucket>:<key>` (the text of an EncodedEntryURI) into the object it names. The host is not
 * looked at here: avconcat inputs and subtitles are always stored objects, and a mark's URL
 * reaches this only once mark-source.params.ts has found its host to be the platform's own.
 */
export function parseEncodedObjectRef(at: StepAt, label: string, token: string): ObjectRef {
  const text = decodeBase64Text(at, label, token, `a stored object, ${forms},`, 2048);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return parseObjectUrl(at, label, token);
  const colon = text.indexOf(':');
  const bucket = text.slice(0, colon);
  const key = text.slice(colon + 1);
  const valid =
    colon > 0 &&
    bucketName.test(bucket) &&
    !reservedBuckets.has(bucket) &&
    key !== '' &&
    !controlCharacter.test(key) &&
    Buffer.byteLength(key, 'utf8') <= maxKeyBytes &&
    !key.startsWith('/') &&
    !key.split('/').some((segment) => segment === '.' || segment === '..');
  if (!valid) throw stepError(at, `${label} must be URL-safe base64 of ${forms} naming a stored object, got ${quoteToken(token)}`, token);
  return { bucket, key };
}

/** Canonical token of an object: URL-safe base64 of `<bucket>:<key>`, shorter than any URL form. */
export function formatEncodedObjectRef(ref: ObjectRef): string {
  return encodeBase64Text(`${ref.bucket}:${ref.key}`);
}
