import { createHash } from 'node:crypto';

export { UFOP_BUILD_QUEUE } from '@fopflow/queue';
export type { UfopBuildJobData } from '@fopflow/queue';

/** Bucket holding uploaded UFOP tarballs: private, owned by no access key, so only the platform reads it. */
export const UFOP_UPLOAD_BUCKET = 'fopflow-ufop-uploads';
/** Largest UFOP upload, packed: fopctl checks it, the gateway refuses more, the builder reads no more. */
export const MAX_UFOP_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Owner of the upload bucket: no access key can be called this (keys are 4+ characters of [A-Za-z0-9_-]). */
export const PLATFORM_OWNER = '#platform';


/**
 * The owner as it may appear in an image name (lower-case letters, digits, single separators).
 * Access keys are mixed-case, so a short hash of the key itself keeps two keys that differ only
 * in case apart.
 */
export function ownerSlug(owner: string): string {
  const readable = owner.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'owner';
  return `${readable}-${createHash('sha256').update(owner).digest('hex').slice(0, 6)}`;
}
