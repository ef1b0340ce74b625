/** What the index knows of one result: its type and size, and its bytes when it is small. */
export interface HotResult {
  mime: string;
  size: number;
  /** The whole result, when it is at most `bodyMaxBytes`; otherwise it is read from the result cache. */
  body?: Buffer;
}

export interface HotResultIndexOptions {
  /** Most results indexed at once (default 10000). */
  maxEntries?: number;
  /** Bound of the bodies held together plus a fixed cost per entry, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Largest result whose body is held in memory, in bytes (default 256 KiB); 0 holds none. */
  bodyMaxBytes?: number;
}

/** What an entry costs besides its body: the key, the map slot, the object (an estimate). */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * A bounded in-process index of results known to be in the result cache, keyed by result key.
 * A result key names the source's version (etag) and the normalised pipeline, and results never
 * change once made, so an entry stays true for as long as it is kept: another process evicting
 * the result from the shared cache makes a body-less entry useless (its reader then finds
 * nothing and the caller forgets it), never wrong. It knows nothing of where bodies live.
 * Least recently used entries go first when either bound is passed.
 */
export class HotResultIndex {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly bodyMaxBytes: number;
  // A Map iterates in insertion order: deleting and re-inserting on use makes it an LRU list.
  private readonly entries = new Map<string, HotResult>();
  private readonly used = new Set<string>();
  private bytes = 0;

  constructor(options: HotResultIndexOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.bodyMaxBytes = Math.min(options.bodyMaxBytes ?? 256 * 1024, this.maxBytes);
  }

  /** The entry of `key`, marking it recently used; undefined when not indexed. */
  get(key: string): HotResult | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.used.add(key);
    return entry;
  }

  /** Whether a result of `size` bytes would have its body held. */
  holdsBody(size: number): boolean {
    return size <= this.bodyMaxBytes;
  }

  /** Indexes `key`; a body is kept only when `holdsBody` allows it. Evicts over the bounds. */
  set(key: string, result: HotResult): void {
    this.delete(key);
    const entry: HotResult = { mime: result.mime, size: result.size };
    if (result.body && this.holdsBody(result.body.length)) entry.body = result.body;
    this.entries.set(key, entry);
    this.bytes += costOf(entry);
    this.evict();
  }

  /** Forgets `key`, e.g. once its result was found gone from the cache. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used.delete(key);
    this.bytes -= costOf(entry);
  }

  /** Keys used since the last call: the shared cache's LRU order is told of them in one batch. */
  takeUsed(): string[] {
    const keys = [...this.used];
    this.used.clear();
    return keys;
  }

  /** Entries and bytes held now. */
  get stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
      this.delete(key);
    }
  }
}

function costOf(entry: HotResult): number {
  return ENTRY_OVERHEAD_BYTES + (entry.body?.length ?? 0);
}
