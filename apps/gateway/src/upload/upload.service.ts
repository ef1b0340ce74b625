import { Inject, Injectable } from '@nestjs/common';
import { urlsafeBase64 } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { OutboundGuard } from '@fopflow/outbound';
import { chooseMime, OBJECT_STORAGE, ObjectStorage, sniffMime, StorageError } from '@fopflow/storage';
import { AccessPolicy } from '../auth/access.policy';
import { RateLimits } from '../auth/rate-limits';
import { GatewayError } from '../http/error.filter';
import { JobsService } from '../jobs/jobs.service';
import { expandMagic, namedMediaFacts, renderReturnBody, UploadFacts } from './magic-variables';
import { buffer } from 'node:stream/consumers';
import { FopService } from '../fops/fop.service';
import { SourceVersions } from '../fops/source-versions';
import { chooseKey, mimeAllowed, scopeNamesKey, UploadGrant, verifyUploadToken } from './put-policy';
import { runUploadCallback } from './upload-callback.client';

/** Qiniu's status for "the key exists and the policy may only insert". */
export const FILE_EXISTS_STATUS = 614;

/** A whole file ready to store: what is known of it before its bytes are copied. */
export interface AssembledFile {
  /** The key the uploader named, if any. */
  key?: string;
  size: number;
  /** Qiniu qetag of the bytes. */
  etag: string;
  /** First bytes, for mime sniffing. */
  head: Buffer;
  mime?: string;
  fname: string;
  vars: Record<string, string>;
}

/** What the uploader is answered. */
export interface UploadAnswer {
  status: number;
  json?: unknown;
  text?: string;
  /** With returnUrl: where the uploader is sent (303), carrying the return body. */
  redirect?: string;
}

/**
 * Qiniu's upload semantics over Fopflow's storage: the token's key is the account (a `write` of
 * the scope's bucket decided by AccessPolicy), the policy's limits are checked before anything is
 * stored, then persistentOps are queued as an async job of that key, then the callback runs.
 */
@Injectable()
export class UploadService {
  private readonly guard: OutboundGuard;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly access: AccessPolicy,
    private readonly jobs: JobsService,
    private readonly limits: RateLimits,
    private readonly fops: FopService,
    private readonly sources: SourceVersions,
  ) {
    this.guard = new OutboundGuard({ allowedTargets: config.allowedTargets });
  }

  /** Verifies the token and that its key may write the scope's bucket (401/403/404 otherwise; 429 past its tier's rate). */
  async grant(token: string | undefined): Promise<UploadGrant> {
    const grant = verifyUploadToken(token, this.access.keys);
    // An upload is a request of the token's key: it counts against that key's tier, as a signed call does.
    await this.limits.consume({ key: grant.key.accessKey, tier: grant.key.tier });
    await this.access.authorize(grant.key.accessKey, 'write', grant.bucket, `upload to ${grant.bucket}`);
    return grant;
  }

  /** The largest file `grant` may upload, in bytes: its fsizeLimit within maxUploadBytes. */
  maxFileBytes(grant: UploadGrant): number {
    const platform = this.config.limits.maxUploadBytes;
    return grant.policy.fsizeLimit === undefined ? platform : Math.min(platform, grant.policy.fsizeLimit);
  }

  /**
   * Checks a whole file against the policy (size, mime type, key, overwrite), then stores what
   * `body` gives and follows up. Nothing is stored when a check fails.
   */
  async store(grant: UploadGrant, file: AssembledFile, body: () => NodeJS.ReadableStream | Buffer): Promise<UploadAnswer> {
    const { policy } = grant;
    const { size } = file;
    if (policy.fsizeLimit !== undefined && size > policy.fsizeLimit) {
      throw new GatewayError(413, `file of ${size} bytes is over fsizeLimit ${policy.fsizeLimit}`);
    }
    if (size > this.config.limits.maxUploadBytes) throw new GatewayError(413, `file of ${size} bytes is over maxUploadBytes ${this.config.limits.maxUploadBytes}`);
    if (policy.fsizeMin !== undefined && size < policy.fsizeMin) {
      throw new GatewayError(403, `file of ${size} bytes is under fsizeMin ${policy.fsizeMin}`);
    }
    const mime = policy.detectMime ? sniffMime(file.head) : chooseMime(file.mime, file.head);
    if (!mimeAllowed(policy.mimeLimit, mime)) throw new GatewayError(403, `limited mimeType: '${mime}' is not allowed by mimeLimit '${policy.mimeLimit}'`);

    const facts: UploadFacts = {
      bucket: grant.bucket,
      etag: file.etag,
      fsize: size,
      mimeType: mime,
      fname: file.fname,
      endUser: policy.endUser,
      vars: file.vars,
      at: new Date(),
    };
    facts.key = chooseKey(grant, file.key, (template) => expandMagic(template, facts), facts.etag);
    await this.refuseOverwrite(grant, facts.key, facts.etag);
    if (policy.persistentOps) await this.jobs.checkUpcoming(grant.key, grant.bucket, this.persistentJob(grant));
    await this.storage.put(grant.bucket, facts.key, body(), { maxBytes: this.config.limits.maxUploadBytes, mime, owner: grant.key.accessKey });
    this.sources.forget(grant.bucket, facts.key);
    return this.followUp(grant, facts);
  }

  /** Queues persistentOps, runs the callback and renders the answer for a stored object. */
  async followUp(grant: UploadGrant, facts: UploadFacts): Promise<UploadAnswer> {
    const { policy } = grant;
    if (policy.persistentOps) {
      const { id } = await this.jobs.submit(grant.key, { kind: 'pfop', bucket: grant.bucket, key: facts.key!, ...this.persistentJob(grant), force: false });
      facts.persistentId = id;
    }
    await this.readMediaFacts(grant, facts, namedMediaFacts(policy.returnBody, policy.callbackBody));
    if (policy.callbackUrl) return { status: 200, json: await runUploadCallback(policy, grant.key, facts, this.guard) };
    const rendered = renderReturnBody(policy.returnBody, facts);
    if (policy.returnUrl) {
      const payload = rendered.text ?? JSON.stringify(rendered.json);
      const target = new URL(policy.returnUrl);
      target.searchParams.set('upload_ret', urlsafeBase64(payload));
      return { status: 303, redirect: target.toString() };
    }
    return { status: 200, ...rendered };
  }

  /**
   * Works out `$(imageInfo)` / `$(exif)` as Qiniu does, by running the fop of that name on the
   * stored object for the token's key (through the queues: the gateway does no media work). An
   * object that is no image leaves them empty, as at Qiniu.
   */
  private async readMediaFacts(grant: UploadGrant, facts: UploadFacts, names: Array<'imageInfo' | 'exif'>): Promise<void> {
    const account = grant.key.accessKey;
    for (const name of names) {
      const answer = await this.fops.process(grant.bucket, facts.key!, this.fops.parse(name, '', account), account, grant.key.tier).catch(() => undefined);
      if (!answer) continue;
      const { body } = answer.result;
      const bytes = Buffer.isBuffer(body) ? body : await buffer(body);
      facts[name] = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    }
  }

  /** The job the policy's persistentOps ask for: `;`-separated fops, its notify URL and pipeline. */
  private persistentJob(grant: UploadGrant): { fops: string[]; notifyUrl?: string; pipeline?: string } {
    const { policy } = grant;
    return { fops: (policy.persistentOps ?? '').split(';').filter(Boolean), notifyUrl: policy.persistentNotifyUrl, pipeline: policy.persistentPipeline };
  }

  /**
   * Refuses to replace an object the policy may not: insertOnly always, and a bucket-wide scope
   * unless the bytes are the same (Qiniu's rule: only `bucket:key` scopes may overwrite).
   */
  async refuseOverwrite(grant: UploadGrant, key: string, etag: string): Promise<void> {
    if (!grant.policy.insertOnly && scopeNamesKey(grant)) return;
    const existing = await this.storage.stat(grant.bucket, key).catch((error: unknown) => {
      if (error instanceof StorageError && error.status === 404) return undefined;
      throw error;
    });
    if (!existing) return;
    if (!grant.policy.insertOnly && existing.etag === etag) return;
    throw new GatewayError(FILE_EXISTS_STATUS, `file exists: '${key.slice(0, 200)}' is already in bucket '${grant.bucket}'`);
  }
}
