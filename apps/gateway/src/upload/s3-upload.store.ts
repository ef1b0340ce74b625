import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { RedisClient } from '@fopflow/queue';
import { resumablePartsPrefix, s3ItemsUnder } from '@fopflow/storage';
import { GatewayError } from '../http/error.filter';
import { isUploadId, liveUploadMeta, MULTIPART_UPLOAD_TTL_S, MultipartUploadMeta, MultipartUploadStore, newUploadMeta, noSuchUpload, StoredPart } from './multipart-upload.store';
import { PartBodyMeter } from './part-body.meter';

/**
 * A part larger than this goes to S3 as a multipart upload of pieces this size (S3's own, hidden
 * here): S3's smallest piece, so a part of Qiniu's usual 4 MiB goes in one PutObject while a
 * gateway holds as little of each part in memory as S3 allows.
 */
const pieceBytes = 5 * 1024 * 1024;
/** Pieces of one part in flight at once: memory per part is about this times pieceBytes. */
const piecesInFlight = 2;
/** Keys one DeleteObjects call takes (S3's limit). */
const deleteBatch = 1000;
/** How often one gateway lists the parts area for expired uploads. */
const sweepEveryMs = 3600_000;

/** The part as recorded: its etag, size and time, and the S3 object that holds its bytes. */
interface PartRecord {
  etag: string;
  size: number;
  put: number;
  object: string;
}

/**
 * Records a part's bytes as the current ones unless the upload is gone (aborted, completed or
 * expired meanwhile): answers the object it replaced ('' for none), or nil when the upload is gone.
 */
const RECORD_PART_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'meta') == 0 then return false end
local previous = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return previous or ''
`;

/**
 * Parts of resumable (v2) uploads in the S3 store every gateway shares, so any gateway can take
 * any part of an upload and complete it. Each part is an ordinary S3 object of its own under
 * `resumable/<uploadId>/`, not a part of an S3 multipart upload: Qiniu's parts may be as small as
 * the client likes (SDKs send 1-4 MiB) and S3 refuses parts under 5 MiB but the last, and the
 * completion has to read every byte anyway (the qetag, the mime and the policy's checks come
 * before the object is stored, and its key may name its etag), so it streams the parts into an
 * ordinary put.
 *
 * Which bytes are a part's is recorded in Redis, in one hash per upload (`meta` and `part:<n>`)
 * that expires with the upload: each upload of a part writes a new S3 object, and one script
 * makes it the part's and answers the one it replaced, which is then deleted. So a re-upload
 * replaces a part whole, a listing of parts needs no S3 call, and a part arriving after an abort
 * removes itself. Objects left by a gateway that died mid-part are older than any live upload
 * after MULTIPART_UPLOAD_TTL_S, which is when `sweepExpired` removes them.
 */
export class S3UploadStore implements MultipartUploadStore {
  private lastSweep = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly client: S3Client,
    private readonly s3Bucket: string,
  ) {}

  async create(bucket: string, key: string | undefined, accessKey: string): Promise<MultipartUploadMeta> {
    const meta = newUploadMeta(bucket, key, accessKey);
    await this.redis.multi().hset(recordKey(meta.uploadId), 'meta', JSON.stringify(meta)).expireat(recordKey(meta.uploadId), meta.expireAt).exec();
    return meta;
  }

  async meta(uploadId: string, bucket: string, key: string | undefined): Promise<MultipartUploadMeta> {
    if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
    const text = await this.redis.hget(recordKey(uploadId), 'meta');
    return liveUploadMeta(text ? (JSON.parse(text) as MultipartUploadMeta) : undefined, uploadId, bucket, key);
  }

  async putPart(uploadId: string, partNumber: number, body: Readable, maxBytes: number, contentMd5?: string): Promise<StoredPart> {
    const meter = new PartBodyMeter(partNumber, maxBytes);
    const object = `${uploadPrefix(uploadId)}${partNumber}.${randomBytes(6).toString('hex')}`;
    // pipeline destroys the meter with the body's failure or the meter's own verdict; a failure of S3 alone leaves it unset.
    let bodyError: unknown;
    meter.transform.once('error', (error) => (bodyError = error));
    const streaming = pipeline(body, meter.transform).catch(() => undefined);
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.s3Bucket, Key: object, Body: meter.transform },
        partSize: pieceBytes,
        queueSize: piecesInFlight,
        leavePartsOnError: false,
      }).done();
      await streaming;
    } catch (error) {
      meter.transform.destroy();
      await streaming;
      await this.discard(object);
      throw bodyError ? meter.bodyFailure(bodyError) : storeFailure(error, `storing part ${partNumber}`);
    }
    let written: { etag: string; size: number };
    try {
      written = meter.finish(contentMd5);
    } catch (error) {
      await this.discard(object);
      throw error;
    }
    const record: PartRecord = { ...written, put: Math.floor(Date.now() / 1000), object };
    const replaced = (await this.redis.eval(RECORD_PART_SCRIPT, 1, recordKey(uploadId), partField(partNumber), JSON.stringify(record))) as string | null;
    if (replaced === null) {
      await this.discard(object);
      throw noSuchUpload(uploadId);
    }
    if (replaced) await this.discard((JSON.parse(replaced) as PartRecord).object);
    return { partNumber, etag: record.etag, size: record.size, put: record.put };
  }

  async parts(uploadId: string): Promise<StoredPart[]> {
    return [...(await this.records(uploadId))].map(([partNumber, { etag, size, put }]) => ({ partNumber, etag, size, put }));
  }

  open(uploadId: string, listed: Array<{ partNumber: number }>): Readable {
    const out = new PassThrough();
    (async () => {
      const records = await this.records(uploadId);
      for (const { partNumber } of listed) {
        const record = records.get(partNumber);
        if (!record) throw new GatewayError(400, `part ${partNumber} was not uploaded`);
        const answer = await this.client.send(new GetObjectCommand({ Bucket: this.s3Bucket, Key: record.object })).catch((error: unknown) => {
          throw storeFailure(error, `reading part ${partNumber}`);
        });
        await pipeline(answer.Body as Readable, out, { end: false });
      }
      out.end();
    })().catch((error: Error) => out.destroy(error));
    return out;
  }

  /**
   * Forgets the upload first, so no part is recorded after it and it is gone for every gateway,
   * then deletes every object under its prefix; what a failing S3 keeps, the sweep removes later.
   */
  async remove(uploadId: string): Promise<void> {
    await this.redis.del(recordKey(uploadId));
    await this.deleteAllUnder(uploadPrefix(uploadId)).catch(() => undefined);
  }

  /**
   * Deletes part objects older than an upload lives, at most once an hour per gateway: an
   * upload's records expire in Redis on their own, and any part written more than
   * MULTIPART_UPLOAD_TTL_S ago belongs to an upload that has expired (or was removed while the
   * part was being written).
   */
  async sweepExpired(nowMs = Date.now()): Promise<string[]> {
    if (nowMs - this.lastSweep < sweepEveryMs) return [];
    this.lastSweep = nowMs;
    const before = nowMs - MULTIPART_UPLOAD_TTL_S * 1000;
    const stale: string[] = [];
    for await (const item of s3ItemsUnder(this.client, this.s3Bucket, resumablePartsPrefix)) {
      if ((item.LastModified?.getTime() ?? nowMs) < before) stale.push(item.Key!);
    }
    await this.deleteObjects(stale);
    return stale;
  }

  /** The upload's part records, by number. */
  private async records(uploadId: string): Promise<Map<number, PartRecord>> {
    const fields = await this.redis.hgetall(recordKey(uploadId));
    const records = new Map<number, PartRecord>();
    for (const [field, text] of Object.entries(fields)) {
      if (field.startsWith('part:')) records.set(Number(field.slice('part:'.length)), JSON.parse(text) as PartRecord);
    }
    return new Map([...records].sort(([a], [b]) => a - b));
  }

  /** Deletes bytes that are nobody's part; when S3 fails, the sweep takes them later and the caller's answer stands. */
  private async discard(object: string): Promise<void> {
    await this.deleteObjects([object]).catch(() => undefined);
  }

  private async deleteAllUnder(prefix: string): Promise<void> {
    const keys: string[] = [];
    for await (const item of s3ItemsUnder(this.client, this.s3Bucket, prefix)) keys.push(item.Key!);
    await this.deleteObjects(keys);
  }

  private async deleteObjects(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += deleteBatch) {
      const batch = keys.slice(start, start + deleteBatch).map((Key) => ({ Key }));
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.s3Bucket, Delete: { Objects: batch, Quiet: true } })).catch((error: unknown) => {
        throw storeFailure(error, 'removing upload parts');
      });
    }
  }
}

function recordKey(uploadId: string): string {
  return `fopflow:resumable:${uploadId}`;
}

function partField(partNumber: number): string {
  return `part:${partNumber}`;
}

function uploadPrefix(uploadId: string): string {
  return `${resumablePartsPrefix}${uploadId}/`;
}

/** The store failed, not the request: 503 naming S3. */
function storeFailure(error: unknown, doing: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const sdk = error as Error | undefined;
  return new GatewayError(503, `S3 storage failed while ${doing}: ${sdk?.name ?? 'Error'}: ${sdk?.message ?? String(error)}`);
}
