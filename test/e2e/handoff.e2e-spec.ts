import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import sharp from 'sharp';
import { makeClip } from '../support/media';
import { Platform, startPlatform } from '../support/platform';

describe('a pipeline across pools', () => {
  let platform: Platform;
  const imageCommands = 'imageView2,imageMogr2,imageInfo,watermark,exif,imageAve';
  const avCommands = 'avthumb,vframe,avinfo,avconcat';

  const completed = async (queueName: string) => {
    const connection = new IORedis(platform.redis.url);
    const queue = new Queue(queueName, { connection });
    try {
      return await queue.getCompleted();
    } finally {
      await queue.close();
      connection.disconnect();
    }
  };

  beforeAll(async () => {
    // Two workers that share nothing: one runs only audio/video, the other only images. The
    // gateway's in-memory index of results is off: it would answer a repeat it holds even after
    // the shared cache forgot it (results never change), and this suite is about the queues.
    platform = await startPlatform({ FOPFLOW_HOT_RESULTS_MAX_ENTRIES: '0' }, [{ FOPFLOW_WORKER_COMMANDS: avCommands }, { FOPFLOW_WORKER_COMMANDS: imageCommands }]);
    const dir = mkdtempSync(join(tmpdir(), 'fopflow-handoff-'));
    await makeClip(join(dir, 'clip.mp4'), { seconds: 2 });
    const upload = await platform.asOperator(`/v1/objects/media/clip.mp4`, { method: 'PUT', body: readFileSync(join(dir, 'clip.mp4')) });
    expect(upload.status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  afterAll(() => platform?.stop());

  it('runs a video pipeline with image steps as one chain: each pool its segment, nothing handed on', async () => {
    const answer = await fetch(`${platform.url}/media/clip.mp4?vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ format: 'png', width: 64, height: 36 });

    const [framed] = await completed('fop.vframe.paid');
    const [finished] = await completed('fop.imageMogr2.paid');
    // The segment of the image pool is the chain's root, and the video segment its child.
    expect(framed.id).toBe(`${finished.id}.0`);
    expect(framed.parentKey).toBe(`bull:fop.imageMogr2.paid:${finished.id}`);
    expect(framed.data.pipeline).toBe('vframe/png/offset/1');
    expect(framed.returnvalue.continuedIn).toBeUndefined();
    expect(finished.data.pipeline).toBe('imageMogr2/thumbnail/64x|imageInfo');
    expect(finished.returnvalue).toMatchObject({ mime: 'application/json' });
    expect(finished.returnvalue.continuedIn).toBeUndefined();
    // Every segment is bounded by count as well as age.
    expect(finished.opts.removeOnComplete).toEqual(framed.opts.removeOnComplete);
    expect(finished.opts.removeOnComplete).toMatchObject({ age: expect.any(Number), count: expect.any(Number) });
    expect(platform.workers[0].output()).not.toMatch(/ERROR/);
  });

  it("answers a chain whose first segment failed with that segment's own status and reason", async () => {
    const direct = await fetch(`${platform.url}/media/clip.mp4?vframe/png/offset/99`);
    const chained = await fetch(`${platform.url}/media/clip.mp4?vframe/png/offset/99|imageMogr2/thumbnail/64x`);
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(chained.status).toBe(direct.status);
    const [directBody, chainedBody] = [(await direct.json()) as { error: string }, (await chained.json()) as { error: string }];
    // The same reason, naming the failed step by its place in the whole pipeline.
    expect(chainedBody.error).toBe(`step 1/2 (vframe): ${directBody.error}`);
    expect(chainedBody.error).not.toMatch(/^child /);
  });

  it('serves the same pipeline again from the cache, and its prefix result is cached too', async () => {
    const again = await fetch(`${platform.url}/media/clip.mp4?vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo`);
    expect(again.headers.get('x-fop-cache')).toBe('HIT');
    const frame = await fetch(`${platform.url}/media/clip.mp4?vframe/png/offset/1`);
    expect(frame.headers.get('x-fop-cache')).toBe('HIT');
    expect(await sharp(Buffer.from(await frame.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 640, height: 360 });
  });

  it('runs a pipeline across pools again once its cached results were evicted, not answering the earlier run', async () => {
    const pipeline = 'vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo';
    const [before] = await completed('fop.imageMogr2.paid');
    // The shared cache forgets every result, the end result and the frame alike, index entries
    // and files, as LRU eviction does; the earlier run's finished jobs stay in both queues for
    // their retention.
    const redis = new IORedis(platform.redis.url);
    await redis.del('fopflow:cache:meta', 'fopflow:cache:lru', 'fopflow:cache:bytes');
    redis.disconnect();
    rmSync(join(platform.dataDir, 'cache'), { recursive: true, force: true });

    const rerun = await fetch(`${platform.url}/media/clip.mp4?${pipeline}`);
    expect(rerun.status).toBe(200);
    expect(rerun.headers.get('x-fop-cache')).toBe('MISS');
    expect(await rerun.json()).toMatchObject({ format: 'png', width: 64, height: 36 });
    // The image pool ran its steps anew under the same job id.
    const [after] = await completed('fop.imageMogr2.paid');
    expect(after.id).toBe(before.id);
    expect(after.finishedOn).toBeGreaterThan(before.finishedOn!);
  });
});
