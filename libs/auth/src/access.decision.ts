/**
 * The one access decision of the platform: may `account` read, write or manage a bucket's
 * objects? The gateway asks it for every route and every object a fop names; the worker asks
 * it again, from the account recorded in the job, before it reads or writes anything.
 */

/** Whom a request or job acts for: an access key, or one of the two accounts below. */
export type Account = string;

/** The operator (admin token): owns the buckets it makes and may do anything. */
export const OPERATOR_ACCOUNT = '@operator';
/** An unsigned request: reads public buckets, nothing else. */
export const ANONYMOUS_ACCOUNT = '@anonymous';

/**
 * Buckets the platform keeps for itself (UFOP uploads and the like) start with this. No key may
 * create, list, read or write them; only the platform's own code and the operator see them.
 */
export const SYSTEM_BUCKET_PREFIX = 'fopflow-';

/** What an account does with a bucket's objects. */
export type AccessAction =
  /** Read an object's bytes: a raw download, a fop's source, a watermark image, a concat input. */
  | 'read'
  /** Create or overwrite an object (upload, saveas, a job's result), or create the bucket with it. */
  | 'write'
  /** List, delete, change the bucket's settings. */
  | 'manage';

/** What the decision needs to know of a bucket. */
export interface BucketAcl {
  /** Account that owns it; every bucket has one. */
  owner?: string;
  /** Private buckets are read only by their owner (and through its download tokens). */
  private: boolean;
}

/** Yes, or no with the HTTP status and the reason to answer. */
export type AccessVerdict = { allowed: true } | { allowed: false; status: 401 | 403 | 404; reason: string };

const ALLOWED: AccessVerdict = { allowed: true };

/** True for a name in the platform's reserved namespace. */
export function isSystemBucket(bucket: string): boolean {
  return bucket.startsWith(SYSTEM_BUCKET_PREFIX);
}

/** True for an access key's account, false for the operator and anonymous. */
export function isKeyAccount(account: Account): boolean {
  return account !== OPERATOR_ACCOUNT && account !== ANONYMOUS_ACCOUNT;
}

/**
 * Decides `action` by `account` on bucket `name` (`bucket` undefined when it does not exist).
 * A private bucket or a system bucket of someone else answers 404, as a missing one does, so
 * its existence does not leak; a public bucket of someone else answers 403 naming it.
 */
export function decideAccess(account: Account, action: AccessAction, name: string, bucket: BucketAcl | undefined): AccessVerdict {
  if (account === OPERATOR_ACCOUNT) return ALLOWED;
  const missing: AccessVerdict = { allowed: false, status: 404, reason: `no such bucket '${name}'` };
  if (isSystemBucket(name)) {
    if (bucket || action !== 'write') return missing;
    return { allowed: false, status: 403, reason: `bucket names starting with '${SYSTEM_BUCKET_PREFIX}' are reserved for the platform` };
  }
  if (!bucket) {
    if (action !== 'write') return missing;
    // Writing into a bucket that does not exist yet makes it, owned by the writer.
    return account === ANONYMOUS_ACCOUNT ? unsigned(action, name) : ALLOWED;
  }
  if (bucket.owner === account) return ALLOWED;
  if (action === 'read' && !bucket.private) return ALLOWED;
  if (bucket.private) return missing;
  if (account === ANONYMOUS_ACCOUNT) return unsigned(action, name);
  return { allowed: false, status: 403, reason: `bucket '${name}' belongs to another account: it may be read, not ${action === 'write' ? 'written' : 'managed'}` };
}

function unsigned(action: AccessAction, name: string): AccessVerdict {
  return { allowed: false, status: 401, reason: `${action === 'write' ? 'writing into' : 'managing'} bucket '${name}' needs a signed request` };
}
