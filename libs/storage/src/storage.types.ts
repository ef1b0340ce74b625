/** One stored object as callers see it. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  /** Object length in bytes. */
  size: number;
  /** Qiniu qetag of the bytes. */
  etag: string;
  mime: string;
  /** When the current version was stored, in ms since the epoch. */
  putTime: number;
}

export interface BucketInfo {
  name: string;
  /** Private buckets need signed URLs to read (default false). */
  private: boolean;
  /** Creation time in ms since the epoch. */
  createdAt: number;
  /**
   * Account that owns it: the access key that made it, or the operator's account. Only the owner
   * (and the operator) may write, list or change it. Absent only in data dirs of older versions,
   * whose buckets the gateway gives to the operator at start.
   */
  owner?: string;
  /** Qiniu's original-image protection: raw images are served only through a style or to a signed reader (default false). */
  protected?: boolean;
  /** Characters that join a key to a style name in a URL, any one per request (Qiniu's `separator`, default '-'). */
  separator?: string;
  /** Named fop pipelines (Qiniu's image styles), applied as `/<bucket>/<key><separator><name>`. */
  styles?: Record<string, string>;
}

/** A change of a bucket's settings; absent fields stay as they are. */
export interface BucketChange {
  private?: boolean;
  owner?: string;
  protected?: boolean;
  separator?: string;
  /** The whole new set of styles (it replaces the old one). */
  styles?: Record<string, string>;
}

/** How a bucket is created. */
export interface BucketOptions {
  private?: boolean;
  /** Account that owns it (default: the operator's account, so nothing is ownerless). */
  owner?: string;
}

export interface PutOptions {
  /** Upload limit in bytes; exceeding it aborts with StorageError 413 and leaves nothing. */
  maxBytes: number;
  /** Content-Type given by the client; sniffed from the first bytes when absent or application/octet-stream. */
  mime?: string;
  /** Owner of the bucket when this put creates it (default: the operator's account). */
  owner?: string;
}

export interface ListOptions {
  /** Only keys starting with this (default ''). */
  prefix?: string;
  /** Last key (or common prefix) of the previous page; listing starts after it. */
  marker?: string;
  /** Most entries (items + common prefixes) per page (default 1000, max 1000). */
  limit?: number;
  /** With e.g. '/', keys past the prefix containing it are rolled into commonPrefixes (S3 semantics). */
  delimiter?: string;
}

export interface ListResult {
  items: ObjectInfo[];
  /** Pass as marker to get the next page; absent on the last page. */
  nextMarker?: string;
  /** Present when a delimiter was given. */
  commonPrefixes?: string[];
}

/** Inclusive byte offsets into an object. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStorage {
  /** Idempotent: an existing bucket returns its info unchanged. */
  createBucket(bucket: string, options?: BucketOptions): Promise<BucketInfo>;
  /** 404 NoSuchBucket when missing. */
  getBucket(bucket: string): Promise<BucketInfo>;
  listBuckets(): Promise<BucketInfo[]>;
  /** Changes a bucket's settings (privacy, owner, styles and their protection); 404 NoSuchBucket when missing. */
  updateBucket(bucket: string, change: BucketChange): Promise<BucketInfo>;
  /** Streams `body` into bucket/key atomically; creates the bucket if missing (owned by `options.owner`). */
  put(bucket: string, key: string, body: NodeJS.ReadableStream | Buffer, options: PutOptions): Promise<ObjectInfo>;
  /** 404 NoSuchBucket / NoSuchKey. */
  stat(bucket: string, key: string): Promise<ObjectInfo>;
  /** Opens the object for reading; range is inclusive byte offsets. */
  read(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; stream: NodeJS.ReadableStream }>;
  /** Reads the whole object into memory; StorageError 413 if larger than maxBytes. */
  readBuffer(bucket: string, key: string, maxBytes: number): Promise<{ info: ObjectInfo; data: Buffer }>;
  /** 404 when the bucket or key is missing. */
  delete(bucket: string, key: string): Promise<void>;
  list(bucket: string, options?: ListOptions): Promise<ListResult>;
  /** Removes what writes interrupted by a crash left behind, unwritten for `maxAgeMs`; answers what it removed. */
  sweepInterruptedWrites?(maxAgeMs: number, nowMs?: number): Promise<string[]>;
}
