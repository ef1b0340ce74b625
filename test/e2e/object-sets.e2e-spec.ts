import { execFile } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import sharp from 'sharp';
import { privateDownloadUrl } from '@fopflow/auth';
import { resultKey } from '@fopflow/queue';
import { ApiClient } from '../support/api-client';
import { makeClip, probe } from '../support/media';
import { documentChecker, type OpenApiDocument } from '../support/openapi-check';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { operationManager, sdkCall } from '../support/qiniu-sdk';

// Steps that write a set of objects, end to end: HLS (avthumb/m3u8) through POST /v1/jobs and
// Qiniu's pfop, AES-128, adapt's master playlist, pm3u8 on a private bucket, vsample series and sprites, and the write of
// every member decided for the job's account in the gateway and again in the worker.

const run = promisify(execFile);
const OWNER = { ak: 'ak-sets-owner', sk: 'sk-sets-owner-secret' };
const OTHER = { ak: 'ak-sets-other', sk: 'sk-sets-other-secret' };
const entry = (bucket: string, key: string) => Buffer.from(`${bucket}:${key}`).toString('base64url');
const b64 = (text: string) => Buffer.from(text).toString('base64url');

interface Rendition {
  key: string;
  bandwidth: number;
  resolution: string;
  progress: number;
}

interface Status {
  code: number;
  items: Array<{ code: number; key?: string; hash?: string; error?: string; progress?: number; renditions?: Rendition[] }>;
}

describe('sets of objects: HLS, pm3u8 and vsample', () => {
  let platform: Platform;
  let owner: ApiClient;
  let other: ApiClient;
  let dir: string;

  /** Polls the job's status until it ends; `polled` sees every status on the way. */
  const ended = async (id: string, client = owner, polled?: (status: Status) => void) => {
    let last: Status | undefined;
    await waitFor(`job ${id} to end`, async () => {
      last = (await client.json<Status>('GET', `/v1/jobs/${id}`)).body;
      polled?.(last);
      return last.code === 0 || last.code === 3;
    });
    return last!;
  };
  const job = async (bucket: string, key: string, fop: string, client = owner, polled?: (status: Status) => void) => {
    const answer = await client.json<{ id: string; error?: string }>('POST', '/v1/jobs', { source: { bucket, key }, fops: [fop], force: true });
    expect(answer.status).toBe(202);
    return ended(answer.body.id, client, polled);
  };
  const keysIn = async (bucket: string, prefix: string) => {
    const answer = await platform.asOperator(`/v1/objects/${bucket}?prefix=${encodeURIComponent(prefix)}`);
    return ((await answer.json()) as { items: Array<{ key: string }> }).items.map((item) => item.key).sort();
  };
  const saved = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${OWNER.ak}:${OWNER.sk}:paid,${OTHER.ak}:${OTHER.sk}:paid` });
    owner = new ApiClient(platform.url, OWNER.ak, OWNER.sk);
    other = new ApiClient(platform.url, OTHER.ak, OTHER.sk);
    dir = mkdtempSync(join(tmpdir(), 'fopflow-sets-'));
    await makeClip(join(dir, 'clip.mp4'), { seconds: 4, size: '160x120' });
    const clip = readFileSync(join(dir, 'clip.mp4'));
    expect((await owner.upload('media/clip.mp4', clip)).status).toBe(200);
    expect((await owner.upload('vault/clip.mp4', clip)).status).toBe(200);
    expect((await owner.call('PUT', '/v1/buckets/vault', { private: true })).status).toBe(200);
    expect((await other.upload('theirs/keep.txt', 'theirs')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses HLS and vsample in a fop URL, saying they run as async jobs', async () => {
    for (const fop of ['avthumb/m3u8/segtime/2', 'vsample/jpg']) {
      const answer = await fetch(`${platform.url}/media/clip.mp4?${fop}`);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toMatch(/runs only as an async job \(POST \/v1\/jobs or \/pfop\/\)/);
    }
  });

  it('stores an HLS playlist and its segments through POST /v1/jobs, and ffprobe plays it from the gateway', async () => {
    const status = await job('media', 'clip.mp4', `avthumb/m3u8/segtime/2/s/96x64/ab/32k|saveas/${entry('media', 'hls/a.m3u8')}`);
    expect(status).toMatchObject({ code: 0, items: [{ code: 0, key: 'hls/a.m3u8' }] });
    expect(await keysIn('media', 'hls/')).toEqual(['hls/a-000000.ts', 'hls/a-000001.ts', 'hls/a.m3u8']);
    const playlist = await (await fetch(`${platform.url}/media/hls/a.m3u8`)).text();
    expect(playlist.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual(['/media/hls/a-000000.ts', '/media/hls/a-000001.ts']);
    // ffprobe follows the playlist over HTTP to its segments, as a player does.
    const played = await probe(`${platform.url}/media/hls/a.m3u8`);
    expect(played.streams.map((stream) => stream.codec_name).sort()).toEqual(['aac', 'h264']);
    for (const key of ['hls/a-000000.ts', 'hls/a-000001.ts']) {
      const segment = await probe(`${platform.url}/media/${key}`);
      expect(segment.format.format_name).toBe('mpegts');
      expect(segment.streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ width: 96, height: 64 });
    }
  });

  it("runs HLS through Qiniu's pfop, with AES-128 segments that decrypt with the key", async () => {
    const key = Buffer.from('8f3c1a2b4d5e6f708192a3b4c5d6e7f8', 'hex');
    expect((await owner.upload('media/keys/k1', key)).status).toBe(200);
    const fop = `avthumb/m3u8/segtime/2/s/96x64/hlsKey/${key.toString('base64url')}/hlsKeyUrl/${b64('/media/keys/k1')}/noDomain/1|saveas/${entry('media', 'enc/b.m3u8')}`;
    const { operations } = operationManager(platform.url, OWNER.ak, OWNER.sk);
    const { respInfo, respBody } = await sdkCall((done) => operations.pfop('media', 'clip.mp4', [fop], '', { force: true }, done));
    expect(respInfo.statusCode).toBe(200);
    const status = await ended((respBody as { persistentId: string }).persistentId);
    expect(status.items[0]).toMatchObject({ code: 0, key: 'enc/b.m3u8' });
    const playlist = await (await fetch(`${platform.url}/media/enc/b.m3u8`)).text();
    expect(playlist).toContain('#EXT-X-KEY:METHOD=AES-128,URI="/media/keys/k1"');
    expect(playlist).toContain('\nb-000000.ts\n');
    // The segment decrypts with the key and its sequence number as IV (RFC 8216 5.2)...
    const encrypted = Buffer.from(await (await fetch(`${platform.url}/media/enc/b-000000.ts`)).arrayBuffer());
    expect(encrypted[0] === 0x47 && encrypted[188] === 0x47).toBe(false);
    const decipher = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16));
    const plain = saved('plain.ts', Buffer.concat([decipher.update(encrypted), decipher.final()]));
    expect((await probe(plain)).streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 96, height: 64 });
    // ...and ffmpeg decodes the whole playlist, fetching the key from the gateway.
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', `${platform.url}/media/enc/b.m3u8`, '-f', 'null', '-']);
    expect(stderr).toBe('');
  });

  it('makes adaptive HLS with adapt: the master playlist lists every rendition and ffprobe reads each', async () => {
    const fop = `adapt/m3u8/envBandWidth/120000,400000/multiVb/80k,300k/multiResolution/64:48,128:96/hlstime/2|saveas/${entry('media', 'abr/m.m3u8')}`;
    const running: Rendition[][] = [];
    const status = await job('media', 'clip.mp4', fop, owner, ({ items: [item] }) => item.code === 2 && item.renditions && running.push(item.renditions));
    const renditionAt = (index: number, resolution: string, bandwidth: number, progress: number) => ({ key: `abr/m-00000${index}.m3u8`, bandwidth, resolution, progress });
    // Done, the item keeps each rendition at 100 (an extension beside Qiniu's prefop fields).
    expect(status.items[0]).toMatchObject({ code: 0, key: 'abr/m.m3u8' });
    expect(status.items[0].renditions).toEqual([renditionAt(0, '64x48', 120000, 100), renditionAt(1, '128x96', 400000, 100)]);
    const doc = (await (await fetch(`${platform.url}/openapi.json`)).json()) as OpenApiDocument;
    documentChecker(doc).expectConforms('/v1/jobs/{id}', 'get', 200, status);
    // A short clip may end between two polls; what a poll did see while it ran names the same
    // renditions, encoded in turn (the op's spec proves the reports in flight).
    for (const renditions of running) {
      expect(renditions.map(({ key, resolution }) => [key, resolution])).toEqual([['abr/m-000000.m3u8', '64x48'], ['abr/m-000001.m3u8', '128x96']]);
      if (renditions[1].progress > 0) expect(renditions[0].progress).toBe(100);
    }
    const master = await (await fetch(`${platform.url}/media/abr/m.m3u8`)).text();
    expect(master).toContain('#EXT-X-STREAM-INF:BANDWIDTH=120000,RESOLUTION=64x48\nm-000000.m3u8');
    expect(master).toContain('#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=128x96\nm-000001.m3u8');
    for (const [index, size] of [[0, { width: 64, height: 48 }], [1, { width: 128, height: 96 }]] as const) {
      const rendition = await probe(`${platform.url}/media/abr/m-00000${index}.m3u8`);
      expect(rendition.streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ codec_name: 'h264', ...size });
    }
    // The master itself: ffprobe finds both renditions' video through it.
    const both = await probe(`${platform.url}/media/abr/m.m3u8`);
    expect(both.streams.filter((stream) => stream.codec_type === 'video').map((stream) => stream.width).sort()).toEqual([128, 64]);
  });

  it('signs the segments of a private playlist with pm3u8, for its owner only', async () => {
    const status = await job('vault', 'clip.mp4', `avthumb/m3u8/segtime/2/s/96x64/noDomain/1|saveas/${entry('vault', 'v/p.m3u8')}`);
    expect(status.items[0]).toMatchObject({ code: 0, key: 'v/p.m3u8' });
    const deadline = Math.trunc(Date.now() / 1000) + 600;
    const ownerKey = { accessKey: OWNER.ak, secretKey: OWNER.sk, tier: 'paid' };
    const signed = await fetch(privateDownloadUrl(`${platform.url}/vault/v/p.m3u8?pm3u8/0/expires/600`, ownerKey as never, deadline));
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-type')).toContain('application/vnd.apple.mpegurl');
    const text = await signed.text();
    const uris = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(uris).toHaveLength(2);
    for (const uri of uris) {
      expect(uri).toMatch(new RegExp(`^${platform.url}/vault/v/p-00000[01]\\.ts\\?e=\\d+&token=${OWNER.ak}:`));
      expect((await fetch(uri)).status).toBe(200);
      expect((await fetch(uri.split('?')[0])).status).toBe(401);
    }
    // A player given the pm3u8 URL plays every segment through its token.
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', signed.url, '-f', 'null', '-']);
    expect(stderr).toBe('');

    // Without a token, or with another tenant's, the playlist stays closed.
    expect((await fetch(`${platform.url}/vault/v/p.m3u8?pm3u8/0/expires/600`)).status).toBe(401);
    const otherKey = { accessKey: OTHER.ak, secretKey: OTHER.sk, tier: 'paid' };
    const stranger = await fetch(privateDownloadUrl(`${platform.url}/vault/v/p.m3u8?pm3u8/0/expires/600`, otherKey as never, deadline));
    expect(stranger.status).toBe(401);
    const bad = await fetch(privateDownloadUrl(`${platform.url}/vault/clip.mp4?pm3u8/0`, ownerKey as never, deadline));
    expect(bad.status).toBe(400);
  });

  it('stores vsample snapshots under the documented keys, and sprites with the documented layout', async () => {
    const series = await job('media', 'clip.mp4', `vsample/jpg/interval/1/s/80x60|saveas/${entry('media', 'shots/s.json')}`);
    expect(series.items[0]).toMatchObject({ code: 0, key: 'shots/s.json' });
    const index = (await (await fetch(`${platform.url}/media/shots/s.json`)).json()) as { keys: string[]; snapshots: number };
    expect(index).toMatchObject({ snapshots: 4, keys: ['shots/s-000000.jpg', 'shots/s-000001.jpg', 'shots/s-000002.jpg', 'shots/s-000003.jpg'] });
    for (const key of index.keys) {
      const image = await sharp(Buffer.from(await (await fetch(`${platform.url}/media/${key}`)).arrayBuffer())).metadata();
      expect(image).toMatchObject({ format: 'jpeg', width: 80, height: 60 });
    }

    const sprites = await job('media', 'clip.mp4', `vsample/png/interval/1/s/40x30/tile/2x2/pattern/${b64('sprites/$(count).png')}|saveas/${entry('media', 'sprites/index.json')}`);
    expect(sprites.items[0]).toMatchObject({ code: 0, key: 'sprites/index.json' });
    expect(await keysIn('media', 'sprites/')).toEqual(['sprites/000000.png', 'sprites/index.json']);
    const sheet = await sharp(Buffer.from(await (await fetch(`${platform.url}/media/sprites/000000.png`)).arrayBuffer())).metadata();
    expect(sheet).toMatchObject({ format: 'png', width: 2 * 40, height: 2 * 30 });
  });

  it("refuses a set saved into another tenant's bucket, in the gateway and in the worker", async () => {
    const fop = `avthumb/m3u8/segtime/2|saveas/${entry('theirs', 'stolen.m3u8')}`;
    const refused = await owner.json<{ error: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key: 'clip.mp4' }, fops: [fop], force: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain("bucket 'theirs' belongs to another account");

    // The same job queued around the gateway: the worker decides again from the job's account.
    const connection = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    const eventsConnection = connection.duplicate();
    const queue = new Queue('fop.avthumb.paid', { connection });
    const events = new QueueEvents('fop.avthumb.paid', { connection: eventsConnection });
    try {
      await events.waitUntilReady();
      const source = (await (await platform.asOperator('/v1/objects/media/clip.mp4')).json()) as { etag: string; size: number };
      const pipeline = 'avthumb/m3u8/segtime/2';
      const forged = await queue.add(pipeline, {
        source: { bucket: 'media', key: 'clip.mp4', etag: source.etag, size: source.size },
        pipeline,
        saveas: { bucket: 'theirs', key: 'stolen.m3u8' },
        account: OWNER.ak,
        tier: 'paid',
        resultKey: resultKey('media', 'clip.mp4', source.etag, `${pipeline}#forged`),
        requestedAt: Date.now(),
      });
      const failure = await forged.waitUntilFinished(events).then(() => 'completed', (error: Error) => error.message);
      expect(failure).toMatch(/^\[403\] saveas theirs:stolen\.m3u8: bucket 'theirs' belongs to another account/);
    } finally {
      await events.close();
      await queue.close();
      eventsConnection.disconnect();
      connection.disconnect();
    }
    expect(await keysIn('theirs', '')).toEqual(['keep.txt']);
  });
});
