import { createHash } from 'node:crypto';

/** Queue of image builds: the gateway adds one job per upload, a scaler's builder takes it. */
export const UFOP_BUILD_QUEUE = 'ufop.build';

/** Bucket holding uploaded UFOP tarballs: private, owned by no access key, so only the platform reads it. */
export const UFOP_UPLOAD_BUCKET = 'fopflow-ufop-uploads';
/** Largest UFOP upload, packed: fopctl checks it, the gateway refuses more, the builder reads no more. */
export const MAX_UFOP_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Owner of the upload bucket: no access key can be called this (keys are 4+ characters of [A-Za-z0-9_-]). */
export const PLATFORM_OWNER = '#platform';

/** A `ufop.build` job: which upload becomes which version of which command. */
export interface UfopBuildJobData {
  name: string;
  version: string;
  owner: string;
  tarball: { bucket: string; key: string };
}

/**
 * The owner as it may appear in an image name (lower-case letters, digits, single separators).
 * Access keys are mixed-case, so a short hash of the key itself keeps two keys that differ only
 * in case apart.
 */
export function ownerSlug(owner: string): string {
  const readable = owner.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'owner';
  return `${readable}-${createHash('sha256').update(owner).digest('hex').slice(0, 6)}`;
}
