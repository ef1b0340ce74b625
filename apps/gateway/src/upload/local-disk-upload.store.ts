import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { removeStaleEntries } from '@fopflow/storage';
import { isUploadId, liveUploadMeta, MULTIPART_UPLOAD_TTL_S, MultipartUploadMeta, MultipartUploadStore, newUploadMeta, noSuchUpload, StoredPart } from './multipart-upload.store';
import { PartBodyMeter } from './part-body.meter';

/**
 * Parts of multipart (resumable v2) uploads on the gateway's local disk: `<dir>/<uploadId>/meta.json`
 * and one file per part named by its number, so an upload is this gateway's alone. A part is
 * written beside its final name and renamed over it, so a re-upload replaces it whole.
 */
export class LocalDiskUploadStore implements MultipartUploadStore {
  constructor(private readonly dir: string) {}

  async create(bucket: string, key: string | undefined, accessKey: string): Promise<MultipartUploadMeta> {
    const meta = newUploadMeta(bucket, key, accessKey);
    await mkdir(this.uploadDir(meta.uploadId), { recursive: true });
    await writeFile(join(this.uploadDir(meta.uploadId), 'meta.json'), JSON.stringify(meta));
    return meta;
  }

  async meta(uploadId: string, bucket: string, key: string | undefined): Promise<MultipartUploadMeta> {
    if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
    const found = await readFile(join(this.uploadDir(uploadId), 'meta.json'), 'utf8').then(
      (text) => JSON.parse(text) as MultipartUploadMeta,
      () => undefined,
    );
    return liveUploadMeta(found, uploadId, bucket, key);
  }

  async putPart(uploadId: string, partNumber: number, body: Readable, maxBytes: number, contentMd5?: string): Promise<StoredPart> {
    const meter = new PartBodyMeter(partNumber, maxBytes);
    const final = join(this.uploadDir(uploadId), String(partNumber));
    const temp = `${final}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await pipeline(body, meter.transform, createWriteStream(temp, { flags: 'wx' }));
    } catch (error) {
      await rm(temp, { force: true });
      throw meter.bodyFailure(error);
    }
    let written: { etag: string; size: number };
    try {
      written = meter.finish(contentMd5);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await rename(temp, final);
    return { partNumber, ...written, put: Math.floor(Date.now() / 1000) };
  }

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

  open(uploadId: string, listed: Array<{ partNumber: number }>): Readable {
    const out = new PassThrough();
    (async () => {
      for (const part of listed) await pipeline(createReadStream(join(this.uploadDir(uploadId), String(part.partNumber))), out, { end: false });
      out.end();
    })().catch((error: Error) => out.destroy(error));
    return out;
  }

  async remove(uploadId: string): Promise<void> {
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  /** Upload directories nobody has written to for the upload lifetime. */
  sweepExpired(nowMs = Date.now()): Promise<string[]> {
    return removeStaleEntries(this.dir, MULTIPART_UPLOAD_TTL_S * 1000, { nowMs });
  }

  private uploadDir(uploadId: string): string {
    return join(this.dir, uploadId);
  }
}
