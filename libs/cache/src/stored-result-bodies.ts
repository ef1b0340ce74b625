import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ObjectStorage, StorageError } from '@fopflow/storage';
import { FrontTier } from './front-tier';
import { assertResultKey, ResultBody, ResultBodyStore } from './result-body.store';

/** The system bucket of result bodies: in the platform's namespace, so no tenant can name it. */
export const RESULTS_BUCKET = 'fopflow-results';

/**
 * Result bodies in the object store every gateway and worker shares, so a result made behind one
 * host is a hit behind any other; a bounded local FrontTier keeps recent ones close. The store's
 * own put is atomic, so a reader gets a whole body or a 404.
 */
export class StoredResultBodies implements ResultBodyStore {
  private bucketReady?: Promise<unknown>;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly front?: FrontTier,
  ) {}

  async open(key: string, size: number): Promise<Readable | null> {
    assertResultKey(key);
    const local = await this.front?.open(key);
    if (local) return local;
    try {
      const { stream } = await this.storage.read(RESULTS_BUCKET, key);
      return this.front ? this.front.fillFrom(key, size, stream as Readable) : (stream as Readable);
    } catch (error) {
      if (error instanceof StorageError && error.status === 404) return null;
      throw error;
    }
  }

  async write(key: string, body: ResultBody, mime: string, size: number): Promise<void> {
    assertResultKey(key);
    // Owned by the operator, as a bucket made without an owner always is.
    this.bucketReady ??= this.storage.createBucket(RESULTS_BUCKET, { private: true }).catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    await this.bucketReady;
    const source = 'data' in body ? body.data : createReadStream(body.path);
    await this.storage.put(RESULTS_BUCKET, key, source, { maxBytes: size, mime });
    await this.front?.keep(key, body, size);
  }

  async remove(key: string): Promise<void> {
    assertResultKey(key);
    await this.front?.remove(key);
    await this.storage.delete(RESULTS_BUCKET, key).catch((error: unknown) => {
      if (!(error instanceof StorageError && error.status === 404)) throw error;
    });
  }

  async sweepTemp(maxAgeMs: number, nowMs: number): Promise<string[]> {
    return (await this.front?.sweepStale(maxAgeMs, nowMs)) ?? [];
  }
}
