import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEntryUri, qiniuSign } from '@fopflow/auth';
import { qetag } from '@fopflow/storage';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';
import { uploadToken } from '../support/qiniu-sdk';
import { Receiver, startReceiver } from '../support/receiver';
import { startS3, TestS3 } from '../support/s3-server';

const OWNER = { ak: 'ownerAK01', sk: 'ownerSK01-secret' };
const OTHER = { ak: 'otherAK01', sk: 'otherSK01-secret' };
const MIB = 1024 * 1024;
const KEYS = `${OWNER.ak}:${OWNER.sk}:paid,${OTHER.ak}:${OTHER.sk}:paid`;

interface JobStatus {
  code: number;
  items: Array<{ code: number; key?: string; hash?: string; error?: string }>;
}

/**
 * The platform with FOPFLOW_STORAGE=s3 against a real S3-speaking server (s3rver, or
 * FOPFLOW_TEST_S3_ENDPOINT): uploads, fop URLs, saveas, async jobs with webhooks, ranged reads and
 * listings all go through S3, with nothing of the objects on the gateway's or worker's disk.
 */
describe('S3 storage: the platform on an S3-compatible store', () => {
  let s3: TestS3;
  let raw: S3Client;
  let platform: Platform;
  let owner: ApiClient;
  let other: ApiClient;
  let hooks: Receiver;
  let photo: Buffer;
  let gatewayB: AppProcess | undefined;
  let gatewayBDir: string | undefined;
  let urlB: string | undefined;

  const headOf = (key: string) => raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
  const s3Keys = async (prefix: string) => ((await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((item) => item.Key!);
  /** A second gateway with a data dir of its own, sharing only Redis and S3 with the platform's; started once, for the cases that need it. */
  const urlOfGatewayB = async () => {
    if (urlB) return urlB;
    const port = await freePort();
    gatewayBDir = mkdtempSync(join(tmpdir(), 'fopflow-data-b-'));
    gatewayB = startApp('gateway', { ...s3.env, FOPFLOW_KEYS: KEYS, REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: gatewayBDir, FOPFLOW_ADMIN_TOKEN: platform.adminToken, PORT: String(port), HOST: '127.0.0.1' });
    const url = `http://127.0.0.1:${port}`;
    await waitFor('gateway B /ready', async () => (await fetch(`${url}/ready`).catch(() => undefined))?.ok === true, 60_000);
    return (urlB = url);
  };
  const savingUrl = (path: string, signer: { ak: string; sk: string }) => {
    const host = new URL(platform.url).host;
    return `${platform.url}/${path}/sign/${signer.ak}:${qiniuSign(signer.sk, `${host}/${path}`)}`;
  };

  beforeAll(async () => {
    s3 = await startS3();
    raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
    platform = await startPlatform({
      ...s3.env,
      FOPFLOW_KEYS: KEYS,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
    });
    owner = new ApiClient(platform.url, OWNER.ak, OWNER.sk);
    other = new ApiClient(platform.url, OTHER.ak, OTHER.sk);
    hooks = await startReceiver();
    photo = await makeJpeg(64, 48);
    expect((await owner.upload('media/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await gatewayB?.stop();
    if (gatewayBDir) rmSync(gatewayBDir, { recursive: true, force: true });
    await hooks?.close();
    await platform?.stop();
    raw?.destroy();
    await s3?.stop();
  });

  it('stores an upload in S3 with its qetag, mime and putTime, and nothing on local disk', async () => {
    const head = await headOf('objects/media/photo.jpg');
    expect(head).toMatchObject({ ContentType: 'image/jpeg', ContentLength: photo.length, Metadata: { qetag: qetag(photo) } });
    const stat = await owner.json<{ hash: string; mimeType: string; fsize: number; putTime: number }>('GET', '/v1/objects/media/photo.jpg');
    expect(stat.status).toBe(200);
    expect(JSON.stringify(stat.body)).toContain(qetag(photo));
    expect(await headOf('buckets/media')).toMatchObject({ ContentType: 'application/json' });
    expect(existsSync(join(platform.dataDir, 'buckets'))).toBe(false);
  });

  it('serves raw and ranged reads from S3', async () => {
    const whole = await fetch(`${platform.url}/media/photo.jpg`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toContain(qetag(photo));
    expect(Buffer.from(await whole.arrayBuffer()).equals(photo)).toBe(true);
    const part = await fetch(`${platform.url}/media/photo.jpg`, { headers: { Range: 'bytes=0-0' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(photo.subarray(0, 1));
    const middle = await fetch(`${platform.url}/media/photo.jpg`, { headers: { Range: 'bytes=10-19' } });
    expect([middle.status, middle.headers.get('content-range')]).toEqual([206, `bytes 10-19/${photo.length}`]);
    expect(Buffer.from(await middle.arrayBuffer())).toEqual(photo.subarray(10, 20));
    expect((await fetch(`${platform.url}/media/photo.jpg`, { headers: { Range: `bytes=${photo.length}-` } })).status).toBe(416);
  });

  it('runs a fop URL on an S3 source, then answers it from the cache', async () => {
    const first = await fetch(`${platform.url}/media/photo.jpg?imageView2/2/w/32/format/png`);
    expect([first.status, first.headers.get('content-type'), first.headers.get('x-fop-cache')]).toEqual([200, 'image/png', 'MISS']);
    const body = Buffer.from(await first.arrayBuffer());
    const again = await fetch(`${platform.url}/media/photo.jpg?imageView2/2/w/32/format/png`);
    expect(again.headers.get('x-fop-cache')).toBe('HIT');
    expect(Buffer.from(await again.arrayBuffer()).equals(body)).toBe(true);
  });

  it('answers a result made behind one gateway as a hit behind another that shares only Redis and S3', async () => {
    const urlB = await urlOfGatewayB();
    const fop = 'media/photo.jpg?imageView2/2/w/24/format/png';
    const madeBehindA = await fetch(`${platform.url}/${fop}`);
    expect([madeBehindA.status, madeBehindA.headers.get('x-fop-cache')]).toEqual([200, 'MISS']);
    const bytes = Buffer.from(await madeBehindA.arrayBuffer());
    const behindB = await fetch(`${urlB}/${fop}`);
    expect([behindB.status, behindB.headers.get('x-fop-cache')]).toEqual([200, 'HIT']);
    expect(Buffer.from(await behindB.arrayBuffer()).equals(bytes)).toBe(true);
  });

  describe('resumable (v2) uploads whose parts reach different gateways', () => {
    const encodedKey = (key: string) => Buffer.from(key).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const call = (url: string, method: string, route: string, token: string, body?: Buffer | string) =>
      fetch(`${url}${route}`, { method, body, headers: { Authorization: `UpToken ${token}`, 'Content-Type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' } });
    const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
    const noLocalParts = () => [platform.dataDir, gatewayBDir!].every((dir) => !existsSync(join(dir, 'multipart')));

    it('takes parts in any order through either gateway, replaces a re-sent part, and completes behind the other into one object, leaving nothing staged', async () => {
      const urlA = platform.url;
      const urlB = await urlOfGatewayB();
      const token = uploadToken(OWNER.ak, OWNER.sk, { scope: 'media', returnBody: '{"key":"$(key)","hash":"$(etag)","size":$(fsize),"mime":"$(mimeType)"}' });
      const base = `/buckets/media/objects/${encodedKey('resumed/big.bin')}/uploads`;
      const bytes = randomBytes(Math.floor(2.5 * MIB));
      const parts = [bytes.subarray(0, MIB), bytes.subarray(MIB, 2 * MIB), bytes.subarray(2 * MIB)];
      const { uploadId } = (await (await call(urlA, 'POST', base, token, '')).json()) as { uploadId: string };
      // Qiniu's parts may be under S3's 5 MiB minimum, and arrive in any order at any gateway.
      expect((await call(urlB, 'PUT', `${base}/${uploadId}/3`, token, parts[2])).status).toBe(200);
      expect((await call(urlA, 'PUT', `${base}/${uploadId}/1`, token, randomBytes(MIB))).status).toBe(200);
      expect((await call(urlA, 'PUT', `${base}/${uploadId}/2`, token, parts[1])).status).toBe(200);
      const resent = await call(urlB, 'PUT', `${base}/${uploadId}/1`, token, parts[0]);
      expect(await resent.json()).toEqual({ etag: md5(parts[0]), md5: md5(parts[0]) });
      const listed = (await (await call(urlA, 'GET', `${base}/${uploadId}`, token)).json()) as { parts: Array<{ partNumber: number; etag: string; size: number }> };
      expect(listed.parts.map(({ partNumber, etag, size }) => ({ partNumber, etag, size }))).toEqual(parts.map((part, index) => ({ partNumber: index + 1, etag: md5(part), size: part.length })));
      // The replaced part's bytes are gone: one object per part, in S3 alone.
      expect(await s3Keys(`resumable/${uploadId}/`)).toHaveLength(3);
      expect(noLocalParts()).toBe(true);

      const completion = JSON.stringify({ parts: parts.map((part, index) => ({ partNumber: index + 1, etag: md5(part) })), mimeType: 'application/x-resumed' });
      const completed = await call(urlB, 'POST', `${base}/${uploadId}`, token, completion);
      expect(completed.status).toBe(200);
      expect(await completed.json()).toEqual({ key: 'resumed/big.bin', hash: qetag(bytes), size: bytes.length, mime: 'application/x-resumed' });
      const head = await headOf('objects/media/resumed/big.bin');
      expect(head).toMatchObject({ ContentType: 'application/x-resumed', ContentLength: bytes.length, Metadata: { qetag: qetag(bytes), 'put-time': expect.any(String) } });
      expect(Buffer.from(await (await fetch(`${urlA}/media/resumed/big.bin`)).arrayBuffer()).equals(bytes)).toBe(true);
      expect(await s3Keys('resumable/')).toEqual([]);
      expect((await call(urlA, 'GET', `${base}/${uploadId}`, token)).status).toBe(612);
    });

    it("refuses another tenant's token on the owner's upload at every gateway and changes nothing; an abort behind one gateway removes the parts sent to the other", async () => {
      const urlB = await urlOfGatewayB();
      const token = uploadToken(OWNER.ak, OWNER.sk, { scope: 'media' });
      const base = `/buckets/media/objects/${encodedKey('resumed/aborted.bin')}/uploads`;
      const { uploadId } = (await (await call(urlB, 'POST', base, token, '')).json()) as { uploadId: string };
      const part = randomBytes(1000);
      expect((await call(platform.url, 'PUT', `${base}/${uploadId}/1`, token, part)).status).toBe(200);

      const othersToken = uploadToken(OTHER.ak, OTHER.sk, { scope: 'media' });
      for (const url of [platform.url, urlB]) {
        expect((await call(url, 'PUT', `${base}/${uploadId}/1`, othersToken, randomBytes(1000))).status).toBe(403);
        expect((await call(url, 'GET', `${base}/${uploadId}`, othersToken)).status).toBe(403);
        expect((await call(url, 'POST', `${base}/${uploadId}`, othersToken, JSON.stringify({ parts: [{ partNumber: 1, etag: md5(part) }] }))).status).toBe(403);
        expect((await call(url, 'DELETE', `${base}/${uploadId}`, othersToken)).status).toBe(403);
      }
      const listed = (await (await call(urlB, 'GET', `${base}/${uploadId}`, token)).json()) as { parts: Array<{ etag: string }> };
      expect(listed.parts.map((stored) => stored.etag)).toEqual([md5(part)]);
      expect(await s3Keys(`resumable/${uploadId}/`)).toHaveLength(1);
      expect((await other.call('GET', '/v1/objects/media/resumed/aborted.bin')).status).toBeGreaterThanOrEqual(403);

      expect((await call(urlB, 'DELETE', `${base}/${uploadId}`, token)).status).toBe(200);
      expect(await s3Keys('resumable/')).toEqual([]);
      expect((await call(platform.url, 'PUT', `${base}/${uploadId}/2`, token, part)).status).toBe(612);
      expect((await call(platform.url, 'POST', `${base}/${uploadId}`, token, JSON.stringify({ parts: [{ partNumber: 1, etag: md5(part) }] }))).status).toBe(612);
      expect((await owner.call('GET', '/v1/objects/media/resumed/aborted.bin')).status).toBe(404);
      expect(noLocalParts()).toBe(true);
    });
  });

  it('stores a saveas result in S3, readable like any object', async () => {
    const answer = await fetch(savingUrl(`media/photo.jpg?imageView2/2/w/16/format/png|saveas/${encodeEntryUri('media', 'saved/small.png')}`, OWNER));
    expect(answer.status).toBe(200);
    const head = await headOf('objects/media/saved/small.png');
    expect(head).toMatchObject({ ContentType: 'image/png', Metadata: { qetag: expect.any(String) } });
    const stored = Buffer.from(await (await fetch(`${platform.url}/media/saved/small.png`)).arrayBuffer());
    expect(qetag(stored)).toBe(head.Metadata!.qetag);
  });

  it('finishes an async job on S3 and delivers its webhook', async () => {
    const submitted = await owner.json<{ id: string }>('POST', '/v1/jobs', {
      source: { bucket: 'media', key: 'photo.jpg' },
      fops: [`imageView2/2/w/20|saveas/${encodeEntryUri('media', 'jobs/thumb.jpg')}`],
      notifyUrl: hooks.url,
    });
    expect(submitted.status).toBe(202);
    const [hook] = await hooks.waitFor(1, 30_000);
    expect(JSON.parse(hook.body)).toMatchObject({ id: submitted.body.id, code: 0 });
    const status = (await owner.json<JobStatus>('GET', `/v1/jobs/${submitted.body.id}`)).body;
    expect(status.items[0]).toMatchObject({ code: 0, key: 'jobs/thumb.jpg' });
    expect((await headOf('objects/media/jobs/thumb.jpg')).Metadata).toMatchObject({ qetag: status.items[0].hash });
  });

  it('streams a large upload through a multipart upload and leaves no staging object', async () => {
    const video = randomBytes(12 * 1024 * 1024);
    expect((await owner.upload('media/big.bin', video)).status).toBe(200);
    expect((await headOf('objects/media/big.bin')).Metadata).toMatchObject({ qetag: qetag(video) });
    const tail = await fetch(`${platform.url}/media/big.bin`, { headers: { Range: `bytes=${video.length - 100}-` } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(video.subarray(video.length - 100))).toBe(true);
    const staging = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'uploads/' }));
    expect(staging.Contents ?? []).toEqual([]);
  });

  it('lists with prefix, delimiter and marker', async () => {
    for (const key of ['list/a/1', 'list/a/2', 'list/b', 'list/c']) expect((await owner.upload(`media/${key}`, Buffer.from(key))).status).toBe(200);
    type Page = { items: Array<{ key: string }>; commonPrefixes?: string[]; nextMarker?: string };
    const first = (await owner.json<Page>('GET', '/v1/objects/media?prefix=list/&delimiter=/&limit=2')).body;
    expect([first.items.map((item) => item.key), first.commonPrefixes, first.nextMarker]).toEqual([['list/b'], ['list/a/'], 'list/b']);
    const second = (await owner.json<Page>(`GET`, `/v1/objects/media?prefix=list/&delimiter=/&limit=2&marker=${first.nextMarker}`)).body;
    expect([second.items.map((item) => item.key), second.nextMarker]).toEqual([['list/c'], undefined]);
  });

  it("refuses another tenant's key: listing, reading by API, uploading and saving into the owner's bucket", async () => {
    expect((await other.call('GET', '/v1/objects/media')).status).toBeGreaterThanOrEqual(403);
    expect((await other.call('GET', '/v1/objects/media/photo.jpg')).status).toBeGreaterThanOrEqual(403);
    expect((await other.upload('media/photo.jpg', Buffer.from('overwritten'))).status).toBe(403);
    const saving = await fetch(savingUrl(`media/photo.jpg?imageView2/2/w/8|saveas/${encodeEntryUri('media', 'stolen.jpg')}`, OTHER));
    expect(saving.status).toBe(403);
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'objects/media/stolen' }));
    expect(listed.Contents ?? []).toEqual([]);
    expect((await headOf('objects/media/photo.jpg')).Metadata).toMatchObject({ qetag: qetag(photo) });
  });
});
