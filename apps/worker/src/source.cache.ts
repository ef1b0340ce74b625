import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** What the cache keeps of an entry besides its file. */
export interface CachedSourceInfo {
  size: number;
  mime: string;
}

/** A cached source in use by one job: its file stays until every lease on it is released. */
export interface SourceLease<Info extends CachedSourceInfo = CachedSourceInfo> {
  path: string;
  info: Info;
  /** Ends this use; idempotent. */
  release(): void;
}

/** Fills `path` with a source's bytes and answers what they are; the cache publishes the file only if this resolves. */
export type SourceLoader<Info extends CachedSourceInfo> = (path: string) => Promise<Info>;

/** A load in progress and the jobs waiting for it: each holds a lease from the moment it is published. */
interface Loading<Info extends CachedSourceInfo> {
  done: Promise<Entry<Info>>;
  waiters: number;
}

interface Entry<Info extends CachedSourceInfo> {
  id: string;
  /** Entries of one object share this: a new version's arrival lets the older ones go. */
  object: string;
  path: string;
  info: Info;
  leases: number;
}

export interface SourceCacheOptions {
  /** Directory of this process's cached sources (a RAM disk spares the disk); emptied at start. */
  dir: string;
  /** Bound of all cached sources together, in bytes; the least recently used unleased go first. */
  maxBytes: number;
}

/**
 * A bounded local cache of sources, shared by one instance's jobs (the seed's DiskCache): keyed
 * by object and version, so a changed object is fetched again; loaded once however many jobs ask
 * at the same time; written under a temporary name and published by rename, so a half-written
 * entry is never served and a failed load leaves nothing. Entries in use are never removed.
 */
export class SourceCache<Info extends CachedSourceInfo = CachedSourceInfo> {
  /** In least-recently-used order: a use moves an entry to the end. */
  private readonly entries = new Map<string, Entry<Info>>();
  private readonly loading = new Map<string, Loading<Info>>();
  /** The entries of each object, so a new version finds the older ones without a walk over all. */
  private readonly versions = new Map<string, Set<Entry<Info>>>();
  private bytes = 0;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: SourceCacheOptions) {}

  /** Bytes of all entries together. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Leases the entry of `object` at `version`, loading it with `load` unless it is cached or loading. */
  async lease(object: string, version: string, load: SourceLoader<Info>): Promise<SourceLease<Info>> {
    const id = createHash('sha256').update(object).update('\0').update(version).digest('hex');
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.entries.set(id, entry);
      entry.leases++;
      return this.leaseOf(entry);
    }
    let loading = this.loading.get(id);
    if (!loading) {
      const started: Loading<Info> = { waiters: 0, done: undefined as never };
      started.done = this.load(id, object, load, started).finally(() => this.loading.delete(id));
      this.loading.set(id, started);
      loading = started;
    }
    loading.waiters++;
    return this.leaseOf(await loading.done);
  }

  /** A lease on `entry`, whose count already includes it. */
  private leaseOf(entry: Entry<Info>): SourceLease<Info> {
    let released = false;
    return {
      path: entry.path,
      info: entry.info,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        void this.evict();
      },
    };
  }

  private async load(id: string, object: string, load: SourceLoader<Info>, loading: Loading<Info>): Promise<Entry<Info>> {
    await (this.ready ??= this.prepare());
    const path = join(this.options.dir, id);
    const tmp = join(this.options.dir, 'tmp', `${id}.${randomUUID()}`);
    let info: Info;
    try {
      info = await load(tmp);
      await fs.rename(tmp, path);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
    // Published with a lease for every waiter at once: eviction cannot take it before they use it,
    // and a source over the whole bound is still served to them.
    const entry: Entry<Info> = { id, object, path, info, leases: loading.waiters };
    this.entries.set(id, entry);
    this.bytes += info.size;
    const versions = this.versions.get(object) ?? new Set();
    this.versions.set(object, versions.add(entry));
    for (const other of [...versions]) if (other !== entry && other.leases === 0) await this.remove(other);
    await this.evict();
    return entry;
  }

  /** Starts from an empty directory: the index lives in memory, so files of an earlier process are unknown. */
  private async prepare(): Promise<void> {
    await fs.rm(this.options.dir, { recursive: true, force: true });
    await fs.mkdir(join(this.options.dir, 'tmp'), { recursive: true });
  }

  private async evict(): Promise<void> {
    if (this.bytes <= this.options.maxBytes) return;
    for (const entry of [...this.entries.values()]) {
      if (this.bytes <= this.options.maxBytes) return;
      if (entry.leases === 0) await this.remove(entry);
    }
  }

  private async remove(entry: Entry<Info>): Promise<void> {
    if (!this.entries.delete(entry.id)) return;
    this.bytes -= entry.info.size;
    const versions = this.versions.get(entry.object);
    versions?.delete(entry);
    if (versions?.size === 0) this.versions.delete(entry.object);
    await fs.rm(entry.path, { force: true });
  }
}
