import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createRedis, type RedisClient } from '@fopflow/queue';
import { createS3Client } from '@fopflow/storage';
import { freePort } from '../../../../test/support/ports';
import { startRedis, TestRedis } from '../../../../test/support/redis-server';
import { startS3, TestS3 } from '../../../../test/support/s3-server';
import { MULTIPART_UPLOAD_TTL_S, summarizeUpload } from './multipart-upload.store';
import { S3UploadStore } from './s3-upload.store';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('S3UploadStore on a real S3 server and Redis', () => {
  let s3: TestS3;
  let redisServer: TestRedis;
  let redis: RedisClient;
  let client: S3Client;
  let bucket: string;
  let store: S3UploadStore;

  const keysUnder = async (prefix: string) => ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((item) => item.Key!);

  beforeAll(async () => {
    [s3, redisServer] = await Promise.all([startS3(), startRedis()]);
    redis = createRedis(redisServer.url, 'producer', 's3-upload-store-spec');
    // A producer connection queues nothing while it connects.
    await new Promise((resolve) => redis.once('ready', resolve));
    client = createS3Client({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
  });

  afterAll(async () => {
    redis?.disconnect();
    client?.destroy();
    await Promise.all([s3?.stop(), redisServer?.stop()]);
  });

  beforeEach(async () => {
    bucket = `${s3.bucket}-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    store = new S3UploadStore(redis, client, bucket);
  });

  afterEach(async () => {
    for (const key of await keysUnder('')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  });

  it('keeps a part larger than one S3 piece whole, and a re-sent part replaces the old bytes', async () => {
    const { uploadId } = await store.create('media', 'big.bin', 'ak-one');
    const large = randomBytes(9 * 1024 * 1024);
    const tail = Buffer.from('tail');
    await store.putPart(uploadId, 2, Readable.from([tail]), 1 << 30);
    await store.putPart(uploadId, 1, Readable.from([randomBytes(10)]), 1 << 30);
    expect(await store.putPart(uploadId, 1, Readable.from([large]), 1 << 30)).toMatchObject({ partNumber: 1, etag: md5(large), size: large.length });
    expect(await keysUnder(`resumable/${uploadId}/`)).toHaveLength(2);
    const listed = [{ partNumber: 1, etag: md5(large) }, { partNumber: 2, etag: md5(tail) }];
    expect((await summarizeUpload(store, uploadId, listed)).size).toBe(large.length + tail.length);
    expect((await buffer(store.open(uploadId, listed))).equals(Buffer.concat([large, tail]))).toBe(true);
  });

  it('stores nothing of a part past its limit or whose Content-MD5 differs', async () => {
    const { uploadId } = await store.create('media', undefined, 'ak-one');
    await expect(store.putPart(uploadId, 1, Readable.from([randomBytes(2000)]), 1000)).rejects.toMatchObject({ status: 413 });
    await expect(store.putPart(uploadId, 1, Readable.from([Buffer.from('abc')]), 1000, md5(Buffer.from('abd')))).rejects.toMatchObject({ status: 400 });
    expect(await store.parts(uploadId)).toEqual([]);
    expect(await keysUnder('resumable/')).toEqual([]);
  });

  it('refuses a part that arrives after the upload was removed and keeps none of its bytes', async () => {
    const { uploadId } = await store.create('media', 'k', 'ak-one');
    await store.putPart(uploadId, 1, Readable.from([Buffer.from('one')]), 100);
    await store.remove(uploadId);
    await expect(store.meta(uploadId, 'media', 'k')).rejects.toMatchObject({ status: 612 });
    // A part already past the gateway's meta check when the abort landed.
    await expect(store.putPart(uploadId, 2, Readable.from([Buffer.from('two')]), 100)).rejects.toMatchObject({ status: 612 });
    expect(await keysUnder('resumable/')).toEqual([]);
  });

  it('answers 612 for another bucket or key, and the record expires in Redis with the upload', async () => {
    const meta = await store.create('media', 'k', 'ak-one');
    await expect(store.meta(meta.uploadId, 'other', 'k')).rejects.toMatchObject({ status: 612 });
    await expect(store.meta(meta.uploadId, 'media', 'k2')).rejects.toMatchObject({ status: 612 });
    await expect(store.meta('../../objects/media/k', 'media', 'k')).rejects.toMatchObject({ status: 612 });
    expect(await redis.expiretime(`fopflow:resumable:${meta.uploadId}`)).toBe(meta.expireAt);
  });

  it('answers 503 naming S3 when the store is down while a part streams in, never a bare 500', async () => {
    const down = createS3Client({ bucket, endpoint: `http://127.0.0.1:${await freePort()}`, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
    try {
      const unreachable = new S3UploadStore(redis, down, bucket);
      const { uploadId } = await unreachable.create('media', 'k', 'ak-one');
      await expect(unreachable.putPart(uploadId, 1, Readable.from([Buffer.from('part')]), 100)).rejects.toMatchObject({ status: 503, message: expect.stringContaining('S3') });
      expect(await unreachable.parts(uploadId)).toEqual([]);
    } finally {
      down.destroy();
    }
  });

  it('sweeps part objects older than an upload lives, and only those', async () => {
    const { uploadId } = await store.create('media', 'k', 'ak-one');
    await store.putPart(uploadId, 1, Readable.from([Buffer.from('live')]), 100);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'resumable/0123456789abcdef0123456789abcdef/1.dead', Body: Buffer.from('x') }));
    const written = await keysUnder('resumable/');
    expect(written).toHaveLength(2);
    expect(await store.sweepExpired()).toEqual([]);
    expect(await keysUnder('resumable/')).toEqual(written);
    // A gateway sweeps at most once an hour: a fresh one stands for one an upload lifetime later.
    const later = Date.now() + MULTIPART_UPLOAD_TTL_S * 1000 + 60_000;
    expect((await new S3UploadStore(redis, client, bucket).sweepExpired(later)).sort()).toEqual(written.sort());
    expect(await keysUnder('resumable/')).toEqual([]);
  });
});
