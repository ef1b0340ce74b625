import { Inject, Injectable } from '@nestjs/common';
import { AccessKey, AccessKeyStore, hasDownloadToken } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { BucketInfo, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request } from 'express';
import { GatewayError } from '../http/error.filter';
import { carriesAdminToken } from './admin-token.middleware';
import { authenticate, authenticateDownload } from './caller';
import { RateLimits } from './rate-limits';

/** Who makes a management call. */
export type Manager = { kind: 'operator' } | { kind: 'key'; key: AccessKey } | { kind: 'open' };

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
    return this.keys.size === 0 && !this.config.adminToken;
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
  async read(req: Request, bucket: string): Promise<{ tier: string; reader?: AccessKey }> {
    const info = await this.storage.getBucket(bucket);
    const owner = info.owner ? this.keys.find(info.owner) : undefined;
    const tier = owner?.tier ?? this.config.defaultTier;
    if (!info.private && !hasDownloadToken(req.originalUrl)) return { tier };
    if (carriesAdminToken(req, this.config.adminToken)) return { tier };
    if (!hasDownloadToken(req.originalUrl)) throw new GatewayError(401, `bucket '${bucket}' is private: add ?e=<deadline>&token=<AK>:<sign>`);
    const reader = authenticateDownload(req, this.keys);
    if (info.owner && reader.accessKey !== info.owner) throw new GatewayError(401, `download token is not signed by the owner of bucket '${bucket}'`);
    return { tier, reader };
  }

  private mayUse(manager: Manager, info: BucketInfo): boolean {
    if (manager.kind === 'operator' || !info.owner) return true;
    return manager.kind === 'key' && manager.key.accessKey === info.owner;
  }
}
