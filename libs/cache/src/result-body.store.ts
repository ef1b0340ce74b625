import type { Readable } from 'node:stream';

/** A result's bytes as the cache is handed them: a finished work file (moved, not copied, where it can be) or a buffer. */
export type ResultBody = { path: string } | { data: Buffer };

/**
 * Where the cache keeps result bodies; the Redis index (LRU order, byte count) stays in
 * ResultCache whatever holds the bytes.
 */
export interface ResultBodyStore {
  /** Opens the body of `key`; null when it is not there (evicted, or never written). */
  open(key: string, size: number): Promise<Readable | null>;
  /** Publishes the body of `key` whole: readers see all of it or nothing. */
  write(key: string, body: ResultBody, mime: string, size: number): Promise<void>;
  /** Removes the body of `key`, if any. */
  remove(key: string): Promise<void>;
  /** Removes what writers that died left, unwritten for `maxAgeMs`; answers what it removed. */
  sweepTemp(maxAgeMs: number, nowMs: number): Promise<string[]>;
}

/** Result keys are hex hashes; anything else never reaches a path or an object key. */
export function assertResultKey(key: string): void {
  if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`invalid result key '${key}'`);
}
