import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEntryUri } from '@fopflow/auth';
import { ApiClient } from '../support/api-client';
import { makeClip, makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';
import { startRedisCluster, TestRedisCluster } from '../support/redis-cluster';
import { startS3, TestS3 } from '../support/s3-server';

const OWNER = { ak: 'ownerAK01', sk: 'ownerSK01-secret' };
/** A transcode long enough to be cut in the middle by a kill -9. */
const TRANSCODE = 'avthumb/mp4/s/640x360/vcodec/libx264';

interface Status {
  code: number;
  items: Array<{ code: number; key?: string; hash?: string; progress?: number }>;
}

/**
 * Two hosts, each a gateway and a worker with a data dir and work dir of its own, sharing nothing
 * but one S3 server and one 3-master Redis Cluster: an object uploaded through one is processed
 * through the other, a result made behind one is a hit behind the other, and an async job whose
 * worker is killed mid-transcode on one host is finished once by the other's worker.
 */
describe('shared nothing: two hosts on one S3 and one Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let s3: TestS3;
  let raw: S3Client;
  let hostA: Platform;
  let hostB: Platform;
  let viaA: ApiClient;
  let viaB: ApiClient;
  let hooks: Receiver;

  const s3Bytes = async (key: string) => Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
  const s3Keys = async (prefix: string) => ((await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((item) => item.Key);
  const status = async (id: string) => (await viaB.json<Status>('GET', `/v1/jobs/${id}`)).body;
  const ended = async (id: string) => {
    let last: Status | undefined;
    await waitFor(`job ${id} to end`, async () => [0, 3, 4].includes((last = await status(id)).code), 60_000);
    return last!;
  };

  beforeAll(async () => {
    [cluster, s3, hooks] = await Promise.all([startRedisCluster(), startS3(), startReceiver()]);
    raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
    // A short job lock: a killed worker's job is taken back after ~2 s instead of 30.
    const env = { ...s3.env, FOPFLOW_KEYS: `${OWNER.ak}:${OWNER.sk}:paid`, FOPFLOW_ALLOWED_TARGETS: '127.0.0.1', FOPFLOW_JOB_LOCK_MS: '2000' };
    // Host B's worker starts only once host A's has taken the job, so the kill is sure to hit it.
    [hostA, hostB] = await Promise.all([startPlatform(env, [{}], { redisUrl: cluster.url }), startPlatform(env, [], { redisUrl: cluster.url })]);
    viaA = new ApiClient(hostA.url, OWNER.ak, OWNER.sk);
    viaB = new ApiClient(hostB.url, OWNER.ak, OWNER.sk);
    const clipDir = mkdtempSync(join(tmpdir(), 'fopflow-clip-'));
    try {
      await makeClip(join(clipDir, 'clip.mp4'), { seconds: 12 });
      expect((await viaA.upload('media/clip.mp4', readFileSync(join(clipDir, 'clip.mp4')), 'video/mp4')).status).toBe(200);
    } finally {
      rmSync(clipDir, { recursive: true, force: true });
    }
    expect((await viaA.upload('media/photo.jpg', await makeJpeg(64, 48), 'image/jpeg')).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await hostA?.stop();
    await hostB?.stop();
    await hooks?.close();
    raw?.destroy();
    await s3?.stop();
    await cluster?.stop();
  });

  it('serves through host B what was uploaded through host A, and a result made behind A as a hit behind B', async () => {
    const fop = 'media/photo.jpg?imageView2/2/w/24/format/png';
    const madeBehindA = await fetch(`${hostA.url}/${fop}`);
    expect([madeBehindA.status, madeBehindA.headers.get('x-fop-cache')]).toEqual([200, 'MISS']);
    const bytes = Buffer.from(await madeBehindA.arrayBuffer());
    const behindB = await fetch(`${hostB.url}/${fop}`);
    expect([behindB.status, behindB.headers.get('x-fop-cache')]).toEqual([200, 'HIT']);
    expect(Buffer.from(await behindB.arrayBuffer()).equals(bytes)).toBe(true);
    const stat = await viaB.json<{ fsize: number }>('GET', '/v1/objects/media/clip.mp4');
    expect(stat.status).toBe(200);
  });

  it('finishes once on host B a job whose worker on host A was killed mid-transcode, byte for byte as a fresh run', async () => {
    const submitted = await viaA.json<{ id: string }>('POST', '/v1/jobs', {
      source: { bucket: 'media', key: 'clip.mp4' },
      fops: [`${TRANSCODE}|saveas/${encodeEntryUri('media', 'moved/clip.mp4')}`],
      notifyUrl: hooks.url,
    });
    expect(submitted.status).toBe(202);
    const { id } = submitted.body;
    await waitFor('the transcode to run on host A', async () => {
      const running = await status(id);
      return running.items[0].code === 2 && (running.items[0].progress ?? 0) > 0;
    }, 30_000);
    await hostA.workers[0].stop('SIGKILL');
    expect(hooks.received).toEqual([]);
    await hostB.startWorker();

    const done = await ended(id);
    expect(done).toMatchObject({ code: 0, items: [{ code: 0, key: 'moved/clip.mp4' }] });
    const [hook] = await hooks.waitFor(1, 30_000);
    expect(JSON.parse(hook.body)).toMatchObject({ id, code: 0 });
    expect(await s3Keys('objects/media/moved/')).toEqual(['objects/media/moved/clip.mp4']);
    expect(await s3Keys('uploads/')).toEqual([]);

    const fresh = await viaB.json<{ id: string }>('POST', '/v1/jobs', {
      source: { bucket: 'media', key: 'clip.mp4' },
      fops: [`${TRANSCODE}|saveas/${encodeEntryUri('media', 'fresh/clip.mp4')}`],
    });
    expect((await ended(fresh.body.id)).items[0]).toMatchObject({ code: 0, hash: done.items[0].hash });
    const moved = await s3Bytes('objects/media/moved/clip.mp4');
    expect(moved.equals(await s3Bytes('objects/media/fresh/clip.mp4'))).toBe(true);
    // Still one webhook once the fresh run (which asked for none) has ended too.
    expect(hooks.received).toHaveLength(1);
  }, 120_000);
});
