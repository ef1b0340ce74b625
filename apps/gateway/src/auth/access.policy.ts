import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  AccessAction,
  AccessDeniedError,
  AccessKey,
  AccessKeyStore,
  Account,
  ANONYMOUS_ACCOUNT,
  hasDownloadToken,
  isSystemBucket,
  ObjectAccess,
  OPERATOR_ACCOUNT,
} from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { describeSaveasTarget, FopPipeline, objectReferences, outsideFetches } from '@fopflow/fop';
import { describeUrl, OutboundGuard } from '@fopflow/outbound';
import { BucketInfo, bucketAccess, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request } from 'express';
import { GatewayError } from '../http/error.filter';
import { carriesAdminToken } from './admin-token.middleware';
import { authenticate, authenticateDownload } from './caller';
import { RateLimits } from './rate-limits';

/** Who reads a bucket through a URL, and in which tier its processing runs. */
export interface UrlReader {
  /** `@operator` with the admin token, the key of a download token, else `@anonymous`. */
  account: Account;
  /** The tier of the bucket owner's key, else the default tier. */
  tier: string;
  /** The key of a download token, for its request-rate limits. */
  key?: AccessKey;
  bucket: BucketInfo;
}

/**
 * Who may do what. Every call is made by an account: the operator (admin token), an access key
 * (a signed call or a download token), or anonymous. Each bucket and object a request touches —
 * its source, a saveas target, every object a fop names — is decided by `decideAccess` over the
 * bucket's owner and privacy; the worker decides again from the account recorded in the job.
 */
@Injectable()
export class AccessPolicy implements OnApplicationBootstrap {
  readonly keys: AccessKeyStore;
  readonly objects: ObjectAccess<BucketInfo>;
  /** Refuses outside URLs a fop fetches when their target is plainly blocked (an internal IP literal). */
  private readonly guard: OutboundGuard;
  private readonly logger = new Logger('AccessPolicy');

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly limits: RateLimits,
  ) {
    this.keys = new AccessKeyStore(config.accessKeys);
    this.objects = bucketAccess(storage);
    this.guard = new OutboundGuard({ allowedTargets: config.allowedTargets });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.adoptOwnerlessBuckets();
  }

  /** The key that signed a job call (401 otherwise), counted against its tier's request rate. */
  async signedCaller(req: Request, rawBody: Buffer): Promise<AccessKey> {
    const caller = authenticate(req, rawBody, this.keys);
    await this.limits.consume({ key: caller.accessKey, tier: caller.tier });
    return caller;
  }

  /** Who makes a management call: the operator with the admin token, else the signing key; 401 otherwise. */
  caller(req: Request, rawBody: Buffer): Account {
    if (carriesAdminToken(req, this.config.adminToken)) return OPERATOR_ACCOUNT;
    return authenticate(req, rawBody, this.keys).accessKey;
  }

  /** Checks `action` by `account` on `bucket`; 401/403/404 naming it. Answers the bucket (undefined when a write makes it). */
  async authorize(account: Account, action: AccessAction, bucket: string, what?: string): Promise<BucketInfo | undefined> {
    return this.objects.authorize(account, action, bucket, what).catch(asGatewayError);
  }

  /**
   * Checks everything a fop touches besides its source: every object a step reads (watermark
   * images, wmImage, concat inputs), every outside URL it fetches (a mark on another site, which
   * is no tenant's object: only the outbound guard decides it) and its saveas target. Runs before
   * a cache lookup or a queue entry, so a refused fop reads, runs and writes nothing.
   */
  async authorizeFop(account: Account, pipeline: FopPipeline, saveas?: { bucket: string; key?: string }): Promise<void> {
    for (const ref of objectReferences(pipeline.steps)) {
      await this.authorize(account, 'read', ref.bucket, `step ${ref.stepIndex} (${ref.command}) reads ${ref.bucket}:${ref.key}`);
    }
    for (const fetch of outsideFetches(pipeline.steps)) {
      // Decided without DNS, as this runs on every request, repeats included; the worker resolves
      // the name and checks every address and redirect when it fetches.
      try {
        this.guard.checkWithoutLookup(new URL(fetch.url));
      } catch (error) {
        throw new GatewayError(400, `step ${fetch.stepIndex} (${fetch.command}) fetches ${describeUrl(new URL(fetch.url))}: ${(error as Error).message}`);
      }
    }
    // Write access is decided per bucket, so a bucket-only target (key named later) is decided alike.
    if (saveas) await this.authorize(account, 'write', saveas.bucket, `saveas ${describeSaveasTarget(saveas)}`);
  }

  /**
   * Checks a read of `bucket` through a URL (raw or fop). A private bucket needs a download token
   * of its owner (401 without, or once expired); a download token present is always verified.
   */
  async reader(req: Request, bucket: string): Promise<UrlReader> {
    const info = await this.authorizeUrl(req, bucket);
    const ownerKey = info.bucket.owner ? this.keys.find(info.bucket.owner) : undefined;
    return { ...info, tier: ownerKey?.tier ?? this.config.defaultTier };
  }

  /**
   * Gives every bucket without an owner (made by an older version, by the admin token or by a
   * saveas) to the operator, so nothing is ownerless. Logs once what it changed.
   */
  async adoptOwnerlessBuckets(): Promise<string[]> {
    const ownerless = (await this.storage.listBuckets()).filter((bucket) => !bucket.owner).map((bucket) => bucket.name);
    for (const name of ownerless) {
      await this.storage.updateBucket(name, { owner: OPERATOR_ACCOUNT });
      this.objects.forget(name);
    }
    if (ownerless.length) {
      const shown = ownerless.slice(0, 20).join(', ') + (ownerless.length > 20 ? `, … (${ownerless.length} in all)` : '');
      this.logger.warn(`buckets without an owner now belong to the operator: ${shown}`);
    }
    return ownerless;
  }

  private async authorizeUrl(req: Request, bucket: string): Promise<Omit<UrlReader, 'tier'>> {
    const operator = carriesAdminToken(req, this.config.adminToken);
    const key = !operator && hasDownloadToken(req.originalUrl) ? authenticateDownload(req, this.keys) : undefined;
    const account = operator ? OPERATOR_ACCOUNT : (key?.accessKey ?? ANONYMOUS_ACCOUNT);
    // A system bucket answers 404 to everyone but the operator, before anything says it is private.
    const settings = isSystemBucket(bucket) ? undefined : await this.objects.settings(bucket);
    if (settings?.private && account === ANONYMOUS_ACCOUNT) {
      throw new GatewayError(401, `bucket '${bucket}' is private: add ?e=<deadline>&token=<AK>:<sign>`);
    }
    if (settings?.private && key && key.accessKey !== settings.owner) {
      throw new GatewayError(401, `download token is not signed by the owner of bucket '${bucket}'`);
    }
    const info = await this.authorize(account, 'read', bucket);
    return { account, ...(key && { key }), bucket: info! };
  }
}

function asGatewayError(error: unknown): never {
  if (error instanceof AccessDeniedError) throw new GatewayError(error.status, error.message);
  throw error;
}
