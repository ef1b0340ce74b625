import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mimeSniffBytes, QetagHasher } from '@fopflow/storage';
import { GatewayError } from '../http/error.filter';

/** How long an unfinished multipart upload lives, in seconds (Qiniu: 7 days). */
export const MULTIPART_UPLOAD_TTL_S = 7 * 24 * 3600;
/** Highest part number, as at Qiniu. */
export const MAX_PART_NUMBER = 10_000;
/** Largest part, in bytes (Qiniu: 1 GiB); also bounded by maxUploadBytes. */
export const MAX_PART_BYTES = 1024 * 1024 * 1024;

/** What an upload was started for; kept beside its parts. */
export interface MultipartUploadMeta {
  uploadId: string;
  bucket: string;
  /** The key in the URL (`~` for none), decoded; undefined when none was named. */
  key?: string;
  /** Access key of the token that started it: only a token of the same key may go on. */
  accessKey: string;
  createdAt: number;
  /** Unix seconds after which the upload is gone. */
  expireAt: number;
}

/** One stored part. */
export interface StoredPart {
  partNumber: number;
  /** MD5 of the part, hex: its etag. */
  etag: string;
  size: number;
  put: number;
}

/**
 * Parts of multipart (resumable v2) uploads on local disk: `<dir>/<uploadId>/meta.json` and one
 * file per part named by its number. Nothing of an upload is an object until it is completed;
 * abort and expiry remove the whole directory.
 */
export class MultipartUploadStore {
  constructor(private readonly dir: string) {}

  /** Starts an upload and answers its record. */
  async create(bucket: string, key: string | undefined, accessKey: string): Promise<MultipartUploadMeta> {
    const uploadId = randomBytes(16).toString('hex');
    const now = Date.now();
    const meta: MultipartUploadMeta = { uploadId, bucket, ...(key !== undefined && { key }), accessKey, createdAt: now, expireAt: Math.floor(now / 1000) + MULTIPART_UPLOAD_TTL_S };
    await mkdir(this.uploadDir(uploadId), { recursive: true });
    await writeFile(join(this.uploadDir(uploadId), 'meta.json'), JSON.stringify(meta));
    return meta;
  }

  /** The upload's record; 612 `no such uploadId` when missing, expired or of another bucket/key. */
  async meta(uploadId: string, bucket: string, key: string | undefined): Promise<MultipartUploadMeta> {
    const missing = () => new GatewayError(612, `no such uploadId '${uploadId.slice(0, 64)}'`);
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw missing();
    let meta: MultipartUploadMeta;
    try {
      meta = JSON.parse(await readFile(join(this.uploadDir(uploadId), 'meta.json'), 'utf8')) as MultipartUploadMeta;
    } catch {
      throw missing();
    }
    if (meta.bucket !== bucket || meta.key !== key || meta.expireAt * 1000 < Date.now()) throw missing();
    return meta;
  }

  /** Streams one part to disk (replacing an earlier one of the same number); 413 past `maxBytes`. */
  async putPart(uploadId: string, partNumber: number, body: Readable, maxBytes: number, contentMd5?: string): Promise<StoredPart> {
    const md5 = createHash('md5');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new GatewayError(413, `part of more than ${maxBytes} bytes`));
        md5.update(chunk);
        done(null, chunk);
      },
    });
    const final = join(this.uploadDir(uploadId), String(partNumber));
    const temp = `${final}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await pipeline(body, counter, createWriteStream(temp, { flags: 'wx' }));
    } catch (error) {
      await rm(temp, { force: true });
      if (error instanceof GatewayError) throw error;
      throw new GatewayError(400, `part ${partNumber} ended early: ${(error as Error).message}`);
    }
    const digest = md5.digest();
    if (contentMd5 && contentMd5 !== digest.toString('hex') && contentMd5 !== digest.toString('base64')) {
      await rm(temp, { force: true });
      throw new GatewayError(400, `Content-MD5 of part ${partNumber} does not match its bytes`);
    }
    await rename(temp, final);
    return { partNumber, etag: digest.toString('hex'), size, put: Math.floor(Date.now() / 1000) };
  }

  /** The stored parts, by number. */
  async parts(uploadId: string): Promise<StoredPart[]> {
    const names = (await readdir(this.uploadDir(uploadId))).filter((name) => /^\d+$/.test(name));
    const parts: StoredPart[] = [];
    for (const name of names.sort((a, b) => Number(a) - Number(b))) {
      const path = join(this.uploadDir(uploadId), name);
      const info = await stat(path);
      const md5 = createHash('md5');
      await pipeline(createReadStream(path), md5);
      parts.push({ partNumber: Number(name), etag: md5.digest('hex'), size: info.size, put: Math.floor(info.mtimeMs / 1000) });
    }
    return parts;
  }

  /**
   * Checks the parts a completion lists (ascending numbers, each stored with that etag) and
   * answers their total size, qetag and first bytes, read once from disk.
   */
  async summarize(uploadId: string, listed: Array<{ partNumber: number; etag: string }>): Promise<{ size: number; etag: string; head: Buffer }> {
    const stored = new Map((await this.parts(uploadId)).map((part) => [part.partNumber, part]));
    let previous = 0;
    for (const part of listed) {
      if (part.partNumber <= previous) throw new GatewayError(400, 'parts must be listed in ascending partNumber order, each once');
      previous = part.partNumber;
      const found = stored.get(part.partNumber);
      if (!found || found.etag !== part.etag) throw new GatewayError(400, `part ${part.partNumber} with etag '${String(part.etag).slice(0, 64)}' was not uploaded`);
    }
    const hasher = new QetagHasher();
    const heads: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.open(uploadId, listed)) {
      hasher.update(chunk as Buffer);
      if (size < mimeSniffBytes) heads.push((chunk as Buffer).subarray(0, mimeSniffBytes - size));
      size += (chunk as Buffer).length;
    }
    return { size, etag: hasher.digest(), head: Buffer.concat(heads) };
  }

  /** The listed parts one after another, as one stream. */
  open(uploadId: string, listed: Array<{ partNumber: number }>): Readable {
    const out = new PassThrough();
    (async () => {
      for (const part of listed) await pipeline(createReadStream(join(this.uploadDir(uploadId), String(part.partNumber))), out, { end: false });
      out.end();
    })().catch((error: Error) => out.destroy(error));
    return out;
  }

  /** Removes the upload and every part of it. */
  async remove(uploadId: string): Promise<void> {
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  private uploadDir(uploadId: string): string {
    return join(this.dir, uploadId);
  }
}
