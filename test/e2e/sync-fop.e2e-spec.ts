import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { makeJpeg, makePng } from '../support/media';
import { Platform, startPlatform } from '../support/platform';

describe('sync fop URLs through BullMQ', () => {
  let platform: Platform;
  let jpeg: Buffer;

  const put = (path: string, body: Buffer | string, type = 'image/jpeg') =>
    platform.asOperator(`/v1/objects/${path}`, { method: 'PUT', body, headers: { 'Content-Type': type } });
  const get = (path: string, init?: RequestInit) => fetch(`${platform.url}/${path}`, init);
  const completedJobs = async (queueName: string) => {
    const connection = new IORedis(platform.redis.url);
    const queue = new Queue(queueName, { connection });
    try {
      return await queue.getJobCounts('completed', 'failed', 'waiting', 'active');
    } finally {
      await queue.close();
      connection.disconnect();
    }
  };

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_MAX_INPUT_PIXELS: String(4_000_000) });
    jpeg = await makeJpeg(1200, 800);
    expect((await put('photos/cats/tabby.jpg', jpeg)).status).toBe(200);
  });

  afterAll(() => platform?.stop());

  it('answers a thumbnail made by a worker, then the same bytes from the cache without a job', async () => {
    const first = await get('photos/cats/tabby.jpg?imageView2/2/w/320/h/320');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('x-fop-cache')).toBe('MISS');
    const thumb = Buffer.from(await first.arrayBuffer());
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 213 });

    const second = await get('photos/cats/tabby.jpg?imageView2/2/w/320/h/320');
    expect(second.headers.get('x-fop-cache')).toBe('HIT');
    expect(Buffer.from(await second.arrayBuffer()).equals(thumb)).toBe(true);
    expect((await completedJobs('fop.imageView2.paid')).completed).toBe(1);
  });

  it('shares one job among concurrent identical requests, also when written differently', async () => {
    const before = (await completedJobs('fop.imageView2.paid')).completed;
    const urls = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? 'photos/cats/tabby.jpg?imageView2/1/w/100/h/80/format/png' : 'photos/cats/tabby.jpg?imageView2/1/h/80/format/png/w/100',
    );
    const answers = await Promise.all(urls.map((url) => get(url)));
    const bodies = await Promise.all(answers.map(async (answer) => Buffer.from(await answer.arrayBuffer())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    bodies.forEach((body) => expect(body.equals(bodies[0])).toBe(true));
    expect(await sharp(bodies[0]).metadata()).toMatchObject({ format: 'png', width: 100, height: 80 });
    expect((await completedJobs('fop.imageView2.paid')).completed).toBe(before + 1);
  });

  it('runs a | pipeline in one job and answers imageInfo as JSON', async () => {
    const info = await get('photos/cats/tabby.jpg?imageView2/2/w/300|imageInfo');
    expect(info.status).toBe(200);
    expect(info.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await info.json()).toMatchObject({ format: 'jpeg', width: 300, height: 200, colorModel: 'ycbcr' });

    const png = await put('photos/alpha.png', await makePng(40, 30), 'image/png');
    expect(png.status).toBe(200);
    expect(await (await get('photos/alpha.png?imageInfo')).json()).toMatchObject({ format: 'png', width: 40, height: 30, colorModel: 'nrgba' });
  });

  it.each([
    ['imageView2/9/w/10', 400, /mode.*'9'/],
    ['imageView2/2/w/0', 400, /'w'.*'0'/],
    ['imageView2/2', 400, /w.*h/],
    ['rotate90/1', 400, /unknown command 'rotate90'/],
    ['imageInfo|imageView2/2/w/10', 400, /imageInfo.*JSON/],
    ['imageView2/2/w/10||imageInfo', 400, /step 2/],
  ])('answers %s with %i naming the bad token', async (fop, status, pattern) => {
    const answer = await get(`photos/cats/tabby.jpg?${fop}`);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = (await answer.json()) as { code: number; error: string };
    expect(body.code).toBe(status);
    expect(body.error).toMatch(pattern);
  });

  it('answers 404 for an unknown bucket or object, with or without a fop', async () => {
    for (const path of ['nobucket/a.jpg?imageInfo', 'photos/missing.jpg?imageInfo', 'nobucket/a.jpg', 'photos/missing.jpg']) {
      const answer = await get(path);
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ code: 404, error: expect.stringMatching(/no such (bucket|key)/) });
    }
  });

  it('refuses corrupt and oversized images with 415 and 413, and keeps serving', async () => {
    await put('photos/corrupt.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]));
    const corrupt = await get('photos/corrupt.jpg?imageView2/2/w/100');
    expect([400, 415]).toContain(corrupt.status);
    expect(((await corrupt.json()) as { error: string }).error).toMatch(/image/);

    await put('photos/text.txt', 'hello, not an image', 'text/plain');
    expect((await get('photos/text.txt?imageInfo')).status).toBe(415);

    // 2500 × 2000 = 5 MP, over the 4 MP this platform allows; refused from the header.
    await put('photos/huge.jpg', await sharp({ create: { width: 2500, height: 2000, channels: 3, background: '#888' } }).jpeg().toBuffer());
    const huge = await get('photos/huge.jpg?imageView2/2/w/100');
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toMatch(/\(5000000 pixels\), over maxInputPixels 4000000/);

    expect((await get('photos/cats/tabby.jpg?imageView2/2/w/64')).status).toBe(200);
  });

  it('lists the queues in Bull Board and the jobs on /metrics', async () => {
    expect((await platform.asOperator(`/admin/queues`)).status).toBe(200);
    const board = (await (await platform.asOperator(`/admin/queues/api/queues`)).json()) as { queues: { name: string }[] };
    expect(board.queues.map((queue) => queue.name)).toEqual(expect.arrayContaining(['fop.imageView2.paid', 'fop.imageInfo.free']));

    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/fopflow_jobs_total\{command="imageView2",tier="paid",outcome="completed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/fopflow_jobs_total\{command="imageView2",tier="paid",outcome="failed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/fopflow_job_duration_seconds_count\{command="imageView2",tier="paid",outcome="completed"/);
    expect(metrics).toMatch(/fopflow_queue_jobs\{queue="fop.imageView2.paid",state="completed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/fopflow_http_requests_total\{method="GET",route="\/:bucket\/\*key",status="200"/);
    expect(metrics).toMatch(/fopflow_result_cache_requests_total\{result="hit"/);
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
  });
  it('runs imageslim and qrcode in the worker: a smaller JPEG, and a QR code of the URL the object is read at', async () => {
    const slim = await get('photos/cats/tabby.jpg?imageslim');
    expect(slim.headers.get('content-type')).toBe('image/jpeg');
    const slimBytes = Buffer.from(await slim.arrayBuffer());
    expect(slimBytes.length).toBeLessThan(jpeg.length);
    expect(await sharp(slimBytes).metadata()).toMatchObject({ width: 1200, height: 800 });

    const qr = await get('photos/cats/tabby.jpg?qrcode/0/level/M');
    expect(qr.headers.get('content-type')).toBe('image/png');
    // FOPFLOW_PUBLIC_URL defaults to http://127.0.0.1:<PORT>, which is where this test reads.
    const modules = QRCode.create(`${platform.url}/photos/cats/tabby.jpg`, { errorCorrectionLevel: 'M' }).modules.size;
    expect((await sharp(Buffer.from(await qr.arrayBuffer())).metadata()).width).toBe((modules + 8) * 4);
  });
});
