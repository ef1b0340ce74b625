import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEntryUri, qiniuSign } from '@fopflow/auth';
import { qetag } from '@fopflow/storage';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';
import { startS3, TestS3 } from '../support/s3-server';

const OWNER = { ak: 'ownerAK01', sk: 'ownerSK01-secret' };
const OTHER = { ak: 'otherAK01', sk: 'otherSK01-secret' };

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

  const headOf = (key: string) => raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
  const savingUrl = (path: string, signer: { ak: string; sk: string }) => {
    const host = new URL(platform.url).host;
    return `${platform.url}/${path}/sign/${signer.ak}:${qiniuSign(signer.sk, `${host}/${path}`)}`;
  };

  beforeAll(async () => {
    s3 = await startS3();
    raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
    platform = await startPlatform({
      ...s3.env,
      FOPFLOW_KEYS: `${OWNER.ak}:${OWNER.sk}:paid,${OTHER.ak}:${OTHER.sk}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
    });
    owner = new ApiClient(platform.url, OWNER.ak, OWNER.sk);
    other = new ApiClient(platform.url, OTHER.ak, OTHER.sk);
    hooks = await startReceiver();
    photo = await makeJpeg(64, 48);
    expect((await owner.upload('media/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
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
    const otherDir = mkdtempSync(join(tmpdir(), 'fopflow-data-b-'));
    const port = await freePort();
    let gatewayB: AppProcess | undefined;
    try {
      gatewayB = startApp('gateway', { ...s3.env, REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: otherDir, FOPFLOW_ADMIN_TOKEN: platform.adminToken, PORT: String(port), HOST: '127.0.0.1' });
      const urlB = `http://127.0.0.1:${port}`;
      await waitFor('gateway B /ready', async () => (await fetch(`${urlB}/ready`).catch(() => undefined))?.ok === true, 60_000);
      const fop = 'media/photo.jpg?imageView2/2/w/24/format/png';
      const madeBehindA = await fetch(`${platform.url}/${fop}`);
      expect([madeBehindA.status, madeBehindA.headers.get('x-fop-cache')]).toEqual([200, 'MISS']);
      const bytes = Buffer.from(await madeBehindA.arrayBuffer());
      const behindB = await fetch(`${urlB}/${fop}`);
      expect([behindB.status, behindB.headers.get('x-fop-cache')]).toEqual([200, 'HIT']);
      expect(Buffer.from(await behindB.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await gatewayB?.stop();
      rmSync(otherDir, { recursive: true, force: true });
    }
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
