import { StorageError } from './storage.errors';

/** Longest object key, in UTF-8 bytes (S3's and Qiniu's limit). */
export const maxKeyBytes = 1024;

/** Names that would shadow the gateway's own routes (`/<bucket>/<key>` shares the root). */
export const reservedBucketNames: ReadonlySet<string> = new Set(['v1', 'admin', 'metrics', 'health', 'ready', 'pfop', 'status', 'buckets']);

const bucketNamePattern = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
// C0, DEL and C1 controls: invisible in logs and listings, and NUL cannot live in a file name.
const controlCharPattern = /[\u0000-\u001f\u007f-\u009f]/;
const loneSurrogatePattern = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Short printable form of untrusted input for error messages. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Why a bucket name is invalid, or undefined when it is fine. */
export function bucketNameProblem(bucket: unknown): string | undefined {
  if (typeof bucket !== 'string') return 'bucket name must be a string';
  if (bucket.length < 3 || bucket.length > 63) return `bucket name ${shown(bucket)} must be 3-63 characters long`;
  if (!bucketNamePattern.test(bucket)) {
    return `bucket name ${shown(bucket)} may only contain a-z, 0-9 and '-', and must start and end with a letter or digit`;
  }
  if (reservedBucketNames.has(bucket)) return `bucket name ${shown(bucket)} is reserved`;
  return undefined;
}

/** Throws 400 InvalidBucketName naming the broken rule. */
export function assertBucketName(bucket: unknown): asserts bucket is string {
  const problem = bucketNameProblem(bucket);
  if (problem) throw new StorageError(400, 'InvalidBucketName', problem);
}

/** Throws 400 InvalidKey naming the broken rule. */
export function assertObjectKey(key: unknown): asserts key is string {
  const problem = objectKeyProblem(key);
  if (problem) throw new StorageError(400, 'InvalidKey', problem);
}

/** Why an object key is invalid, or undefined when it is fine. */
export function objectKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'key must be a string';
  if (key.length === 0) return 'key must not be empty';
  // Lone surrogates would silently become U+FFFD on disk and no longer match the caller's key.
  if (loneSurrogatePattern.test(key)) return `key ${shown(key)} is not well-formed Unicode`;
  const keyBytes = Buffer.byteLength(key, 'utf8');
  if (keyBytes > maxKeyBytes) return `key is ${keyBytes} UTF-8 bytes; the limit is ${maxKeyBytes}`;
  if (controlCharPattern.test(key)) return `key ${shown(key)} contains a control character`;
  if (key.startsWith('/')) return `key ${shown(key)} must not start with '/'`;
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    return `key ${shown(key)} must not contain '.' or '..' path segments`;
  }
  return undefined;
}
