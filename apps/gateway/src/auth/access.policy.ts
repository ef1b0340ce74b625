import { Inject, Injectable } from '@nestjs/common';
import { AccessKey, AccessKeyStore, hasDownloadToken } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { BucketInfo, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request } from 'express';
import { GatewayError } from '../http/error.filter';
import { carriesAdminToken } from './admin-token.middleware';
import { authenticate, authenticateDownload } from './caller';
import { RateLimits } from './rate-limits';

/** How long a bucket's settings are reused by reads, in ms. */
const BUCKET_INFO_TTL_MS = 1000;
/** Most buckets whose settings are kept at once. */
const BUCKET_INFO_CACHE_SIZE = 10_000;

/** Who makes a management call. */
export type Manager = { kind: 'operator' } | { kind: 'key'; key: AccessKey } | { kind: 'open' };

/** With neither access keys nor an admin token, there is nobody to check against: a private development setup. */
export function isOpenPlatform(config: Pick<FopflowConfig, 'accessKeys' | 'adminToken'>): boolean {
  return config.accessKeys.length === 0 && !config.adminToken;
}

/**
 * Who may do what. With neither access keys nor an admin token configured the platform is open
 * (a private development setup); otherwise management calls are signed with an access key (or
 * carry the admin token), a bucket created by a key is that key's, and a private bucket is read
 * only through its owner's download token.
 */
@Injectable()
export class AccessPolicy {
  readonly keys: AccessKeyStore;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly limits: RateLimits,
  ) {
    this.keys = new AccessKeyStore(config.accessKeys);
  }

  /** True when nothing is configured to check against. */
  get open(): boolean {
    return isOpenPlatform(this.config);
  }

  /** The key that signed a job call (401 otherwise), counted against its tier's request rate. */
  async signedCaller(req: Request, rawBody: Buffer): Promise<AccessKey> {
    const caller = authenticate(req, rawBody, this.keys);
    await this.limits.consume({ key: caller.accessKey, tier: caller.tier });
    return caller;
  }

  /** Who signed this management call; 401 when it is not signed and the platform is not open. */
  manager(req: Request, rawBody: Buffer): Manager {
    if (carriesAdminToken(req, this.config.adminToken)) return { kind: 'operator' };
    if (this.open && !req.headers.authorization) return { kind: 'open' };
    return { kind: 'key', key: authenticate(req, rawBody, this.keys) };
  }

  /** The bucket, when `manager` may write, list or process its objects; 403 for another owner's. */
  async manageBucket(manager: Manager, bucket: string): Promise<BucketInfo | undefined> {
    const info = await this.storage.getBucket(bucket).catch(() => undefined);
    if (info && !this.mayUse(manager, info)) throw new GatewayError(403, `bucket '${bucket}' belongs to another access key`);
    return info;
  }

  /** Checks that `key` may process objects of `bucket` in jobs; 403 for another owner's bucket. */
  async useBucket(key: AccessKey, bucket: string): Promise<void> {
    await this.manageBucket({ kind: 'key', key }, bucket);
  }

  /**
   * Checks a read of `bucket` (raw or fop URL); answers the tier its processing runs in. A private
   * bucket needs a download token of its owner (401 without, or once expired).
   */
  async read(req: Request, bucket: string): Promise<{ tier: string; reader?: AccessKey; owner?: string }> {
    const info = await this.bucketInfo(bucket);
    const owner = info.owner ? this.keys.find(info.owner) : undefined;
    const tier = owner?.tier ?? this.config.defaultTier;
    if (!info.private && !hasDownloadToken(req.originalUrl)) return { tier, owner: info.owner };
    if (carriesAdminToken(req, this.config.adminToken)) return { tier, owner: info.owner };
    if (!hasDownloadToken(req.originalUrl)) throw new GatewayError(401, `bucket '${bucket}' is private: add ?e=<deadline>&token=<AK>:<sign>`);
    const reader = authenticateDownload(req, this.keys);
    if (info.owner && reader.accessKey !== info.owner) throw new GatewayError(401, `download token is not signed by the owner of bucket '${bucket}'`);
    return { tier, reader, owner: info.owner };
  }

  /**
   * A bucket's settings, read from storage at most once per BUCKET_INFO_TTL_MS: every fop URL
   * needs them, and a cache hit should not pay a disk read for them. A bucket made private is
   * therefore private for every reader within that time.
   */
  private async bucketInfo(bucket: string): Promise<BucketInfo> {
    const cached = this.buckets.get(bucket);
    if (cached && Date.now() - cached.at < BUCKET_INFO_TTL_MS) return cached.info;
    const info = await this.storage.getBucket(bucket);
    if (this.buckets.size >= BUCKET_INFO_CACHE_SIZE) this.buckets.clear();
    this.buckets.set(bucket, { at: Date.now(), info });
    return info;
  }

  private readonly buckets = new Map<string, { at: number; info: BucketInfo }>();

  private mayUse(manager: Manager, info: BucketInfo): boolean {
    if (manager.kind === 'operator' || !info.owner) return true;
    return manager.kind === 'key' && manager.key.accessKey === info.owner;
  }
}
