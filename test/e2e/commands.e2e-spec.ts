import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import sharp from 'sharp';
import { encodeEntryUri, qiniuSign } from '@fopflow/auth';
import { ApiClient } from '../support/api-client';
import { makeClip, makeJpeg, makePng, probe } from '../support/media';
import { Platform, startPlatform } from '../support/platform';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('the official command set through fop URLs', () => {
  let platform: Platform;
  let scratch: string;

  const put = (path: string, body: Buffer, type: string) => new ApiClient(platform.url, 'test-ak', 'test-secret-key').upload(path, body, type);
  const fop = async (path: string) => {
    const answer = await fetch(`${platform.url}/${path}`);
    return { status: answer.status, type: answer.headers.get('content-type') ?? '', body: Buffer.from(await answer.arrayBuffer()) };
  };
  const probeBody = (body: Buffer, name: string) => {
    const file = join(scratch, name);
    writeFileSync(file, body);
    return probe(file);
  };

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: 'test-ak:test-secret-key:paid' });
    scratch = mkdtempSync(join(tmpdir(), 'fopflow-commands-'));
    const photo = await sharp(await makeJpeg(800, 600)).withExif({ IFD0: { Make: 'Fopflow', Model: 'E2E' } }).jpeg().toBuffer();
    expect((await put('media/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
    expect((await put('media/logo.png', await makePng(60, 40), 'image/png')).status).toBe(200);
    await makeClip(join(scratch, 'clip.mp4'), { seconds: 2 });
    expect((await put('media/clip.mp4', readFileSync(join(scratch, 'clip.mp4')), 'video/mp4')).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('imageMogr2 thumbnails, crops and converts', async () => {
    const half = await fop('media/photo.jpg?imageMogr2/thumbnail/!50p/format/webp');
    expect(half.status).toBe(200);
    expect(await sharp(half.body).metadata()).toMatchObject({ format: 'webp', width: 400, height: 300 });
    const cropped = await fop('media/photo.jpg?imageMogr2/gravity/NorthWest/crop/!200x100a10a20/format/png');
    expect(await sharp(cropped.body).metadata()).toMatchObject({ format: 'png', width: 200, height: 100 });
  });

  it('watermark draws one of our objects at the gravity corner', async () => {
    const marked = await fop(`media/photo.jpg?watermark/1/image/${b64(`${platform.url}/media/logo.png`)}/gravity/SouthEast/dx/0/dy/0/format/png`.replace('/format/png', ''));
    expect(marked.status).toBe(200);
    const original = await sharp((await fop('media/photo.jpg?imageMogr2/format/png')).body).raw().toBuffer({ resolveWithObject: true });
    const after = await sharp(marked.body).raw().toBuffer({ resolveWithObject: true });
    const pixel = (image: { data: Buffer; info: { width: number; channels: number } }, x: number, y: number) =>
      Array.from(image.data.subarray((y * image.info.width + x) * image.info.channels, (y * image.info.width + x) * image.info.channels + 3));
    const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(distance(pixel(after, 790, 590), pixel(original, 790, 590))).toBeGreaterThan(20);
    expect(distance(pixel(after, 10, 10), pixel(original, 10, 10))).toBeLessThan(12);

    const missing = await fop(`media/photo.jpg?watermark/1/image/${b64(`${platform.url}/media/none.png`)}`);
    expect(missing.status).toBe(404);
  });

  it('exif, imageAve and imageInfo answer JSON', async () => {
    const exif = JSON.parse((await fop('media/photo.jpg?exif')).body.toString());
    expect(exif.Make).toMatchObject({ val: 'Fopflow' });
    const average = JSON.parse((await fop('media/photo.jpg?imageAve')).body.toString());
    expect(average.RGB).toMatch(/^0x[0-9a-f]{6}$/i);
    expect((await fop('media/logo.png?exif')).status).toBe(400);
  });

  it('avthumb transcodes with ffmpeg to the asked size and codec', async () => {
    const small = await fop('media/clip.mp4?avthumb/mp4/s/320x180/vcodec/libx264/acodec/aac');
    expect(small.status).toBe(200);
    expect(small.type).toBe('video/mp4');
    const info = await probeBody(small.body, 'small.mp4');
    expect(info.streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(info.streams.find((stream) => stream.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });

    const audio = await fop('media/clip.mp4?avthumb/mp3/ab/64k/ar/22050');
    const audioInfo = await probeBody(audio.body, 'audio.mp3');
    expect(audioInfo.streams).toHaveLength(1);
    expect(audioInfo.streams[0]).toMatchObject({ codec_name: 'mp3', sample_rate: '22050' });
  });

  it('vframe grabs a frame and avinfo describes the clip', async () => {
    const frame = await fop('media/clip.mp4?vframe/jpg/offset/1/w/160');
    expect(frame.status).toBe(200);
    expect(await sharp(frame.body).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 90 });
    const info = JSON.parse((await fop('media/clip.mp4?avinfo')).body.toString());
    expect(info.format.duration).toBeDefined();
    expect(info.streams.map((stream: { codec_type: string }) => stream.codec_type).sort()).toEqual(['audio', 'video']);
  });

  it('runs a pipeline across families in one worker, and names the failing step', async () => {
    const thumb = await fop('media/clip.mp4?vframe/png/offset/0.5|imageView2/2/w/100');
    expect(thumb.status).toBe(200);
    expect(await sharp(thumb.body).metadata()).toMatchObject({ format: 'png', width: 100 });

    const wrong = await fop('media/photo.jpg?imageView2/2/w/100|vframe/jpg/offset/5');
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    expect(JSON.parse(wrong.body.toString()).error).toMatch(/^step 2\/2 \(vframe\)/);
  });

  it('refuses async-only commands and garbage media with 4xx', async () => {
    const concat = await fop(`media/clip.mp4?avconcat/2/format/mp4/${b64('http://h/media/clip.mp4')}`);
    expect(concat.status).toBe(400);
    expect(JSON.parse(concat.body.toString()).error).toMatch(/async/);
    await put('media/garbage.mp4', Buffer.alloc(5000, 9), 'video/mp4');
    const garbage = await fop('media/garbage.mp4?avthumb/mp4');
    expect([400, 415]).toContain(garbage.status);
  });

  it('reports progress of a finished av job as 100', async () => {
    const connection = new IORedis(platform.redis.url);
    const queue = new Queue('fop.avthumb.paid', { connection });
    try {
      const jobs = await queue.getCompleted();
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.every((job) => job.progress === 100)).toBe(true);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  describe('saveas', () => {
    const entry = encodeEntryUri('saved', 'thumbs/photo-100.jpg');
    const unsigned = `media/photo.jpg?imageView2/2/w/100|saveas/${entry}`;

    it('needs a signature in a fop URL', async () => {
      expect((await fop(unsigned)).status).toBe(401);
      expect((await fop(`${unsigned}/sign/test-ak:${'x'.repeat(28)}`)).status).toBe(401);
      expect((await fop(`${unsigned}/sign/other-ak:${qiniuSign('test-secret-key', `127.0.0.1/${unsigned}`)}`)).status).toBe(401);
      expect((await fetch(`${platform.url}/saved/thumbs/photo-100.jpg`)).status).toBe(404);
    });

    it('stores the result at the target and answers it', async () => {
      const host = new URL(platform.url).host;
      const signature = qiniuSign('test-secret-key', `${host}/${unsigned}`);
      const answer = await fop(`${unsigned}/sign/test-ak:${signature}`);
      expect(answer.status).toBe(200);
      const saved = await fetch(`${platform.url}/saved/thumbs/photo-100.jpg`);
      expect(saved.status).toBe(200);
      expect(Buffer.from(await saved.arrayBuffer()).equals(answer.body)).toBe(true);
      expect((await sharp(answer.body).metadata()).width).toBe(100);
    });
  });
});
