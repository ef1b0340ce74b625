import { type AccessAction, type Account, type BucketAcl, decideAccess } from './access.decision';

/** A refused access; `status` is the HTTP answer (401, 403 or 404). */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';

  constructor(
    readonly status: 401 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

/** How long a bucket's settings are reused, in ms (default 1000). */
export const DEFAULT_BUCKET_ACL_TTL_MS = 1000;
/** Most buckets whose settings are kept at once. */
const BUCKET_ACL_CACHE_SIZE = 10_000;

export interface ObjectAccessOptions<B extends BucketAcl> {
  /** The bucket's settings, or undefined when it does not exist. */
  lookup(bucket: string): Promise<B | undefined>;
  /** How long settings are reused, in ms; 0 reads them on every check (default 1000). */
  aclTtlMs?: number;
}

/**
 * Asks `decideAccess` with the bucket's settings read from storage, kept for `aclTtlMs` so a
 * busy fop URL does not pay a read per request: a bucket made private is private for every
 * reader within that time.
 */
export class ObjectAccess<B extends BucketAcl = BucketAcl> {
  private readonly buckets = new Map<string, { at: number; bucket: B | undefined }>();
  private readonly ttlMs: number;

  constructor(private readonly options: ObjectAccessOptions<B>) {
    this.ttlMs = options.aclTtlMs ?? DEFAULT_BUCKET_ACL_TTL_MS;
  }

  /**
   * Checks `action` by `account` on `bucket` and answers the bucket's settings (undefined when a
   * write will create it); throws AccessDeniedError otherwise. `what` names the object in the
   * refusal (`watermark image photos:logo.png`), so a caller sees which reference was refused.
   */
  async authorize(account: Account, action: AccessAction, bucket: string, what?: string): Promise<B | undefined> {
    const settings = await this.settings(bucket, action !== 'read');
    const verdict = decideAccess(account, action, bucket, settings);
    if (!verdict.allowed) throw new AccessDeniedError(verdict.status, what ? `${what}: ${verdict.reason}` : verdict.reason);
    return settings;
  }

  /** Forgets what is kept of `bucket`, after a change made here (privacy, owner). */
  forget(bucket: string): void {
    this.buckets.delete(bucket);
  }

  /** Settings of `bucket`; `fresh` skips the kept copy (writes decide on the current owner). */
  async settings(bucket: string, fresh = false): Promise<B | undefined> {
    const kept = this.buckets.get(bucket);
    if (!fresh && kept && Date.now() - kept.at < this.ttlMs) return kept.bucket;
    const settings = await this.options.lookup(bucket);
    // A missing bucket is not kept: the write this check allows is about to make it.
    if (this.ttlMs > 0 && settings) {
      if (this.buckets.size >= BUCKET_ACL_CACHE_SIZE) this.buckets.clear();
      this.buckets.set(bucket, { at: Date.now(), bucket: settings });
    }
    return settings;
  }
}
