import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStorage } from '@fopflow/storage';
import { slotGroup, type RedisClient } from '@fopflow/queue';
import { DiskResultBodies } from './disk-result-bodies';
import { FrontTier } from './front-tier';
import { ResultBodyStore } from './result-body.store';
import { StoredResultBodies } from './stored-result-bodies';

/** A cached result, opened for reading: it stays readable even if it is evicted meanwhile. */
export interface CachedResult {
  mime: string;
  size: number;
  stream: Readable;
}

export interface ResultCacheOptions {
  /** Directory holding the result files (with `storage`: the local front tier's). */
  dir: string;
  /** Bound of all results together, in bytes; the least recently used go first. */
  maxBytes: number;
  /** Prefix of the index keys in Redis. */
  keyPrefix?: string;
  /**
   * The object store shared by every host: result bodies live there (bucket fopflow-results), so
   * a result made behind one gateway is a hit behind another. Absent, bodies live only under `dir`.
   */
  storage?: ObjectStorage;
  /** With `storage`: bound of this process's local copies under `dir`, in bytes (default 256 MiB; 0: none). */
  frontMaxBytes?: number;
}

/** Default bound of the local front tier in front of shared storage, in bytes. */
export const defaultFrontMaxBytes = 256 * 1024 * 1024;

/** What the shared index keeps of a result besides its body. */
export interface EntryMeta {
  mime: string;
  size: number;
}

// The index lives in Redis so that every gateway and worker shares one LRU order and one byte
// count. The scripts keep the byte count exact when two processes write or evict at once. The
// order is a shared counter, not the clock: two uses in one millisecond still have an order.
const PUT_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then redis.call('DECRBY', KEYS[3], cjson.decode(old).size) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
return redis.call('INCRBY', KEYS[3], ARGV[3])`;

// A lookup answers the entry's meta and moves it to the end of the order, in one round trip.
const GET_SCRIPT = `
local meta = redis.call('HGET', KEYS[1], ARGV[1])
if meta then redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1]) end
return meta`;

// A use moves each entry still cached to the end of the order; answers those evicted meanwhile.
const TOUCH_SCRIPT = `
local gone = {}
for _, key in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], key) == 1 then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), key)
  else
    table.insert(gone, key)
  end
end
return gone`;

const POP_OLDEST_SCRIPT = `
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
if total <= tonumber(ARGV[1]) then return false end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not oldest then return false end
local meta = redis.call('HGET', KEYS[1], oldest)
redis.call('ZREM', KEYS[2], oldest)
redis.call('HDEL', KEYS[1], oldest)
if meta then redis.call('DECRBY', KEYS[3], cjson.decode(meta).size) end
return oldest`;

const FORGET_SCRIPT = `
local meta = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if meta then redis.call('DECRBY', KEYS[3], cjson.decode(meta).size) end
return meta and 1 or 0`;

/**
 * Bounded cache of fop results, keyed by result key (hash of source version and pipeline).
 * Writers put whole files atomically; readers get an open stream or nothing.
 */
export class ResultCache {
  private readonly keys: [meta: string, lru: string, bytes: string];
  private readonly clockKey: string;
  private readonly bodies: ResultBodyStore;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: ResultCacheOptions,
  ) {
    // Every script uses all four keys: on a cluster they share one hash slot.
    const prefix = slotGroup(redis, options.keyPrefix ?? 'fopflow:cache');
    this.keys = [`${prefix}:meta`, `${prefix}:lru`, `${prefix}:bytes`];
    this.clockKey = `${prefix}:clock`;
    const { storage, frontMaxBytes = defaultFrontMaxBytes } = options;
    this.bodies = storage
      ? new StoredResultBodies(storage, frontMaxBytes > 0 ? new FrontTier(join(options.dir, 'front'), frontMaxBytes) : undefined)
      : new DiskResultBodies(options.dir);
  }

  /** Opens the result of `key`, marking it recently used (one round trip); null when it is not cached. */
  async get(key: string): Promise<CachedResult | null> {
    const raw = (await this.redis.eval(GET_SCRIPT, 4, ...this.keys, this.clockKey, key)) as string | null;
    if (raw === null) return null;
    const result = await this.open(key, JSON.parse(raw) as EntryMeta);
    if (!result) await this.forget(key);
    return result;
  }

  /**
   * Opens the body of `key` whose type and size the caller already knows (from a finished job or
   * an index), without asking the shared index; null when it is gone, e.g. evicted by another process.
   */
  async open(key: string, meta: EntryMeta): Promise<CachedResult | null> {
    const stream = await this.bodies.open(key, meta.size);
    return stream && { mime: meta.mime, size: meta.size, stream };
  }

  /** Marks `keys` recently used in the shared order, in one round trip; answers those evicted meanwhile (they stay out). */
  async touch(keys: readonly string[]): Promise<string[]> {
    if (!keys.length) return [];
    return (await this.redis.eval(TOUCH_SCRIPT, 4, ...this.keys, this.clockKey, ...keys)) as string[];
  }

  /** Stores `data` as the result of `key`, then evicts least recently used results over the bound. */
  async put(key: string, data: Buffer, mime: string): Promise<void> {
    await this.bodies.write(key, { data }, mime, data.length);
    await this.index(key, mime, data.length);
  }

  /** Moves the finished file at `path` into the cache as the result of `key` (no copy on one disk); answers its size. */
  async putFile(key: string, path: string, mime: string): Promise<number> {
    const { size } = await fs.stat(path);
    await this.bodies.write(key, { path }, mime, size);
    await this.index(key, mime, size);
    return size;
  }

  private async index(key: string, mime: string, size: number): Promise<void> {
    const meta: EntryMeta = { mime, size };
    const total = Number(await this.redis.eval(PUT_SCRIPT, 4, ...this.keys, this.clockKey, key, JSON.stringify(meta), size));
    // The script answers the byte count this put left: within the bound no round trip looks for
    // something to evict (a writer racing past the bound evicts after its own put).
    if (total > this.options.maxBytes) await this.evict();
  }

  /** Removes the result of `key`, if any. */
  async delete(key: string): Promise<void> {
    await this.forget(key);
    await this.bodies.remove(key);
  }

  /**
   * Removes temporary files of results whose writer died before publishing them, once nobody has
   * written them for `maxAgeMs` (a live write or copy keeps its file's mtime fresh); answers their paths.
   */
  sweepTemp(maxAgeMs: number, nowMs = Date.now()): Promise<string[]> {
    return this.bodies.sweepTemp(maxAgeMs, nowMs);
  }

  /** Bytes held by all results together, as the shared index counts them. */
  async totalBytes(): Promise<number> {
    return Number((await this.redis.get(this.keys[2])) ?? 0);
  }

  private async evict(): Promise<void> {
    for (;;) {
      const oldest = (await this.redis.eval(POP_OLDEST_SCRIPT, 3, ...this.keys, this.options.maxBytes)) as string | null;
      if (!oldest) return;
      await this.bodies.remove(oldest);
    }
  }

  private async forget(key: string): Promise<void> {
    await this.redis.eval(FORGET_SCRIPT, 3, ...this.keys, key);
  }
}
