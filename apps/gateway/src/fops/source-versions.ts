import { Inject, Injectable } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { OBJECT_STORAGE, ObjectInfo, ObjectStorage } from '@fopflow/storage';

/** Most sources whose version is kept at once; past it the oldest go. */
const MAX_KEPT_SOURCES = 10_000;

/** A source's version as the gateway last read it, and whether that read was just now. */
export interface SourceVersion {
  info: ObjectInfo;
  /** False when the version was read earlier (within sourceEtagTtlMs) and may since have changed elsewhere. */
  fresh: boolean;
}

/**
 * The version (etag) of each source a fop URL names, kept for `sourceEtagTtlMs` so that a repeat
 * of a fop URL finds its result in the in-memory index without a stat. A write through this
 * gateway forgets the kept version at once; one made elsewhere (another gateway, a worker's
 * saveas) shows within the TTL, as a CDN's short revalidation interval would. A kept version
 * only ever finds a result; what is queued is always decided on a fresh one.
 */
@Injectable()
export class SourceVersions {
  private readonly kept = new Map<string, { at: number; info: ObjectInfo }>();
  private readonly ttlMs: number;
  /** Counts forgets: a stat that a write overtook while it ran is answered but never kept. */
  private writes = 0;

  constructor(
    @Inject(FOPFLOW_CONFIG) config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {
    this.ttlMs = config.sourceEtagTtlMs;
  }

  /** The kept version of bucket/key when younger than the TTL, else a fresh stat (404 when missing). */
  async current(bucket: string, key: string): Promise<SourceVersion> {
    const kept = this.kept.get(idOf(bucket, key));
    if (kept && Date.now() - kept.at < this.ttlMs) return { info: kept.info, fresh: false };
    return { info: await this.stat(bucket, key), fresh: true };
  }

  /** Stats bucket/key now and keeps what it found. */
  async stat(bucket: string, key: string): Promise<ObjectInfo> {
    const id = idOf(bucket, key);
    this.kept.delete(id);
    const writesBefore = this.writes;
    const info = await this.storage.stat(bucket, key);
    if (this.ttlMs > 0 && this.writes === writesBefore) {
      if (this.kept.size >= MAX_KEPT_SOURCES) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(id, { at: Date.now(), info });
    }
    return info;
  }

  /** Forgets bucket/key after it was written or deleted here: its next request reads it afresh. */
  forget(bucket: string, key: string): void {
    this.writes++;
    this.kept.delete(idOf(bucket, key));
  }
}

function idOf(bucket: string, key: string): string {
  return `${bucket}\n${key}`;
}
