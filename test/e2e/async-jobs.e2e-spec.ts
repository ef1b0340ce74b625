import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { operationManager, sdkCall } from '../support/qiniu-sdk';
import sharp from 'sharp';
import { ApiClient } from '../support/api-client';
import { makeClip, makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';

interface Status {
  id: string;
  code: number;
  desc: string;
  inputBucket: string;
  inputKey: string;
  items: Array<{ cmd: string; code: number; key?: string; hash?: string; error?: string; errorIndex?: number; returnOld?: number; progress?: number }>;
  notify?: { state: string; attempts: Array<{ outcome: string; status?: number }> };
}

const AK = 'ak-paid-one';
const SK = 'sk-paid-one-secret';
const OTHER_AK = 'ak-paid-two';
const OTHER_SK = 'sk-paid-two-secret';

describe('async jobs, webhooks and the Qiniu-compatible API', () => {
  let platform: Platform;
  let client: ApiClient;
  let receiver: Receiver;

  const submit = (body: unknown, headers?: Record<string, string>) => client.json<{ id: string; error?: string }>('POST', '/v1/jobs', body, headers);
  const status = (id: string) => client.json<Status>('GET', `/v1/jobs/${id}`).then((answer) => answer.body);
  const ended = async (id: string) => {
    let last: Status | undefined;
    await waitFor(`job ${id} to end`, async () => {
      last = await status(id);
      return last.code === 0 || last.code === 3 || last.code === 4;
    });
    return last!;
  };

  beforeAll(async () => {
    platform = await startPlatform({
      FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
      FOPFLOW_WEBHOOK_RETRY_S: '0,1,1',
    });
    client = new ApiClient(platform.url, AK, SK);
    receiver = await startReceiver();
    const put = (path: string, body: Buffer) => client.upload(path, body);
    expect((await put('media/photo.jpg', await makeJpeg(640, 480))).status).toBe(200);
    expect((await put('media/broken.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 1)]))).status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'fopflow-async-'));
    await makeClip(join(dir, 'long.mp4'), { seconds: 30, size: '1280x720' });
    expect((await put('media/long.mp4', readFileSync(join(dir, 'long.mp4')))).status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  afterAll(async () => {
    await receiver?.close();
    await platform?.stop();
  });

  it('runs every fop, stores each result and calls the webhook signed per Standard Webhooks', async () => {
    const answer = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageView2/2/w/100', 'imageInfo'], notifyUrl: receiver.url });
    expect(answer.status).toBe(202);
    const { id } = answer.body;
    expect(id).toMatch(/^z0\./);

    const [hook] = await receiver.waitFor(1);
    const body = JSON.parse(hook.body) as Status;
    expect(body).toMatchObject({ id, code: 0, inputBucket: 'media', inputKey: 'photo.jpg' });
    expect(body.items.map((item) => item.code)).toEqual([0, 0]);

    // Verified with the published algorithm, independently of Fopflow's own code.
    expect(hook.headers['webhook-id']).toBe(id);
    const signed = `${hook.headers['webhook-id']}.${hook.headers['webhook-timestamp']}.${hook.body}`;
    const expected = createHmac('sha256', Buffer.from(SK)).update(signed).digest('base64');
    expect(String(hook.headers['webhook-signature']).split(' ')).toContain(`v1,${expected}`);

    let final = await ended(id);
    await waitFor('the delivery to be recorded', async () => (final = await status(id)).notify?.state !== 'pending');
    expect(final.notify).toMatchObject({ state: 'delivered', attempts: [{ outcome: 'delivered', status: 200 }] });
    const thumb = await fetch(`${platform.url}/media/${final.items[0].key}`);
    expect(thumb.status).toBe(200);
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(100);
    expect(final.items[0].hash).toBe(thumb.headers.get('etag')!.replace(/"/g, ''));
  });

  it('takes a batch of jobs all or none', async () => {
    const job = (w: number) => ({ source: { bucket: 'media', key: 'photo.jpg' }, fops: [`imageView2/2/w/${w}`] });
    const batch = await client.json<{ ids: string[] }>('POST', '/v1/jobs/batch', { jobs: [job(11), job(12), job(13)] });
    expect(batch.status).toBe(202);
    expect(batch.body.ids).toHaveLength(3);
    for (const id of batch.body.ids) expect((await ended(id)).code).toBe(0);

    const before = (await client.json<{ items: unknown[] }>('GET', '/v1/jobs?limit=200')).body.items.length;
    const bad = await client.json<{ error: string }>('POST', '/v1/jobs/batch', { jobs: [job(14), { ...job(15), fops: ['imageView2/9'] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/jobs\[1\]/);
    expect((await client.json<{ items: unknown[] }>('GET', '/v1/jobs?limit=200')).body.items.length).toBe(before);
  });

  it('reports a failed fop with code 3 and the step that failed', async () => {
    const { body } = await submit({ source: { bucket: 'media', key: 'broken.jpg' }, fops: ['imageView2/2/w/50|imageInfo'] });
    const final = await ended(body.id);
    expect(final.code).toBe(3);
    expect(final.items[0]).toMatchObject({ code: 3, errorIndex: 0, error: expect.stringMatching(/step 1\/2 \(imageView2\)/) });
  });

  it('returns the same job for a repeated Idempotency-Key, and keeps an existing saveas target unless forced', async () => {
    const target = Buffer.from('out:kept/one.jpg').toString('base64url');
    const request = { source: { bucket: 'media', key: 'photo.jpg' }, fops: [`imageView2/2/w/60|saveas/${target}`] };
    const first = await submit(request, { 'Idempotency-Key': 'order-42' });
    const second = await submit(request, { 'Idempotency-Key': 'order-42' });
    expect(second.body.id).toBe(first.body.id);
    expect((await ended(first.body.id)).items[0]).toMatchObject({ code: 0, key: 'kept/one.jpg', returnOld: 0 });

    const again = await ended((await submit(request)).body.id);
    expect(again.items[0]).toMatchObject({ code: 0, returnOld: 1 });
    const forced = await ended((await submit({ ...request, force: true })).body.id);
    expect(forced.items[0]).toMatchObject({ code: 0, returnOld: 0 });
  });

  it('shows progress of a running transcode and cancels it, killing ffmpeg', async () => {
    const { body } = await submit({ source: { bucket: 'media', key: 'long.mp4' }, fops: ['avthumb/webm/s/1280x720/vcodec/libvpx-vp9'] });
    let running: Status | undefined;
    await waitFor('the transcode to report progress', async () => {
      running = await status(body.id);
      return running.items[0].code === 2 && (running.items[0].progress ?? 0) > 0;
    }, 30_000);
    expect(running!.code).toBe(2);
    expect(running!.items[0].progress).toBeLessThan(100);

    const cancelled = await client.json<Status>('DELETE', `/v1/jobs/${body.id}`);
    expect(cancelled.status).toBe(200);
    const final = await ended(body.id);
    expect(final.items[0]).toMatchObject({ code: 3, error: expect.stringMatching(/cancel/) });
    const work = join(platform.dataDir, 'work');
    // Each worker keeps one directory of its own under the work root, holding its source cache;
    // no job directory may be left in it.
    const { readdirSync } = await import('node:fs');
    const jobDirs = (own: string) => readdirSync(join(work, own)).filter((name) => name !== 'sources');
    await waitFor('the work dir to hold no job directory', async () => readdirSync(work).every((own) => jobDirs(own).length === 0));
  });

  it('refuses bad calls with clear 4xx, before anything is written', async () => {
    const unsigned = await fetch(`${platform.url}/v1/jobs`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    const forged = await new ApiClient(platform.url, AK, 'not-the-secret').call('GET', '/v1/jobs');
    expect(forged.status).toBe(401);
    const unknown = await new ApiClient(platform.url, 'ak-nobody', SK).call('GET', '/v1/jobs');
    expect(unknown.status).toBe(401);

    const { body } = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'] });
    expect((await new ApiClient(platform.url, OTHER_AK, OTHER_SK).call('GET', `/v1/jobs/${body.id}`)).status).toBe(404);
    expect((await new ApiClient(platform.url, OTHER_AK, OTHER_SK).call('DELETE', `/v1/jobs/${body.id}`)).status).toBe(404);

    expect((await submit({ source: { bucket: 'media', key: 'none.jpg' }, fops: ['imageInfo'] })).status).toBe(404);
    const badFop = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo', 'imageView2/7'] });
    expect(badFop.status).toBe(400);
    expect(badFop.body.error).toMatch(/fops\[1\]/);
    expect((await submit({ source: { bucket: 'media' }, fops: 'imageInfo' })).status).toBe(400);
  });

  it('never contacts a private or loopback notify target that is not allowed', async () => {
    const trap = await startReceiver();
    try {
      // 127.0.0.2 is loopback too, but only 127.0.0.1 is on the allow-list.
      const loopback = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'], notifyUrl: `http://127.0.0.2:${trap.port}/x` });
      expect(loopback.status).toBe(400);
      expect(loopback.body.error).toMatch(/notifyUrl/);
      const metadata = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'], notifyUrl: 'http://169.254.169.254/latest' });
      expect(metadata.status).toBe(400);
      expect(trap.received).toHaveLength(0);
    } finally {
      await trap.close();
    }
  });

  it('fetches a URL source behind the SSRF guard, and refuses one it may not reach', async () => {
    const photo = await makeJpeg(300, 200);
    const origin = await startReceiver(() => ({ status: 200, headers: { 'Content-Type': 'image/jpeg' } }));
    const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(photo));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const target = Buffer.from('media:from-url/thumb.jpg').toString('base64url');
      const { status: code, body } = await submit({ source: { url: `http://127.0.0.1:${port}/photo.jpg` }, fops: [`imageView2/2/w/30|saveas/${target}`] });
      expect(code).toBe(202);
      expect((await ended(body.id)).items[0]).toMatchObject({ code: 0, key: 'from-url/thumb.jpg' });
      expect((await sharp(Buffer.from(await (await fetch(`${platform.url}/media/from-url/thumb.jpg`)).arrayBuffer())).metadata()).width).toBe(30);

      const blocked = await submit({ source: { url: `http://127.0.0.2:${origin.port}/photo.jpg` }, fops: [`imageInfo|saveas/${target}`] });
      expect(blocked.status).toBe(400);
      expect(blocked.body.error).toMatch(/source.url/);
      expect(origin.received).toHaveLength(0);
      const unsaved = await submit({ source: { url: `http://127.0.0.1:${port}/photo.jpg` }, fops: ['imageInfo'] });
      expect(unsaved.status).toBe(400);
    } finally {
      server.close();
      await origin.close();
    }
  });

  describe('watermark marks from outside URLs', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const solid = (r: number, g: number, b: number) => sharp({ create: { width: 60, height: 40, channels: 3, background: { r, g, b } } }).png().toBuffer();
    /** An HTTP server on `host` answering every request with `answer`, counting what it got. */
    const startSite = async (host: string, answer: (res: import('node:http').ServerResponse) => void) => {
      const seen: string[] = [];
      const server = createServer((req, res) => {
        seen.push(req.url ?? '');
        answer(res);
      });
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      const port = (server.address() as { port: number }).port;
      return { seen, origin: `http://${host}:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    };
    const marked = async (markUrl: string) => {
      const answer = await fetch(`${platform.url}/media/photo.jpg?watermark/1/image/${b64(markUrl)}/gravity/SouthEast/dx/0/dy/0`);
      const body = Buffer.from(await answer.arrayBuffer());
      return { status: answer.status, cache: answer.headers.get('x-fop-cache'), body };
    };
    const cornerPixel = async (jpeg: Buffer) => {
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      const at = ((info.height - 10) * info.width + (info.width - 10)) * info.channels;
      return Array.from(data.subarray(at, at + 3));
    };

    it('draws a mark another site serves, fetched through the guard, and two sites\' same path never share a result', async () => {
      const red = await solid(255, 0, 0);
      const blue = await solid(0, 0, 255);
      const one = await startSite('127.0.0.1', (res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(red));
      const two = await startSite('127.0.0.1', (res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(blue));
      try {
        const fromOne = await marked(`${one.origin}/brand/logo.png`);
        expect(fromOne.status).toBe(200);
        const [r1, g1, b1] = await cornerPixel(fromOne.body);
        expect(r1).toBeGreaterThan(200);
        expect(Math.max(g1, b1)).toBeLessThan(60);
        expect(one.seen).toEqual(['/brand/logo.png']);

        // The same /<bucket>/<key> on another site is another mark: its own cache key, its own pixels.
        const fromTwo = await marked(`${two.origin}/brand/logo.png`);
        expect(fromTwo).toMatchObject({ status: 200, cache: 'MISS' });
        const [r2, g2, b2] = await cornerPixel(fromTwo.body);
        expect(b2).toBeGreaterThan(200);
        expect(Math.max(r2, g2)).toBeLessThan(60);
        expect(two.seen).toEqual(['/brand/logo.png']);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('refuses a mark at an internal address, or redirected to one, without contacting it', async () => {
      // 127.0.0.2 is loopback too, but only 127.0.0.1 is on the allow-list; the trap listens there.
      const trap = await startSite('127.0.0.2', (res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end());
      const redirect = await startSite('127.0.0.1', (res) => res.writeHead(302, { Location: `${trap.origin}/x.png` }).end());
      try {
        for (const url of [`${trap.origin}/x.png`, 'http://169.254.169.254/x.png']) {
          const sync = await marked(url);
          expect(sync.status).toBe(400);
          expect(JSON.parse(sync.body.toString())).toMatchObject({ code: 400, error: expect.stringMatching(/^step 1 \(watermark\) fetches .*blocked/) });
          const job = await submit({ source: { bucket: 'media', key: 'photo.jpg' }, fops: [`avthumb/mp4/wmImage/${b64(url)}`] });
          expect(job.status).toBe(400);
          expect(job.body.error).toMatch(/\(avthumb\) fetches .*blocked/);
        }
        // Decided by the worker's guard: the allowed site's redirect to 127.0.0.2 is never followed.
        const redirected = await marked(`${redirect.origin}/logo.png`);
        expect(redirected.status).toBe(400);
        expect(JSON.parse(redirected.body.toString()).error).toMatch(/watermark mark .*blocked/);
        expect(redirect.seen).toEqual(['/logo.png']);
        expect(trap.seen).toEqual([]);
      } finally {
        await trap.close();
        await redirect.close();
      }
    });
  });

  it("works with Qiniu's official SDK: pfop, prefop and the callback signature", async () => {
    const { mac, operations } = operationManager(platform.url, AK, SK);
    const pfopHook = await startReceiver();
    try {
      const { respBody, respInfo } = await sdkCall((done) =>
        operations.pfop('media', 'photo.jpg', ['imageView2/1/w/32/h/32'], '', { notifyURL: pfopHook.url, force: true }, done),
      );
      expect(respInfo.statusCode).toBe(200);
      const persistentId = (respBody as { persistentId: string }).persistentId;
      const [hook] = await pfopHook.waitFor(1);
      expect(JSON.parse(hook.body)).toMatchObject({ id: persistentId, code: 0 });
      expect(qiniu.util.isQiniuCallback(mac, `http://${hook.headers.host}${hook.path}`, null, String(hook.headers.authorization))).toBe(true);

      const prefop = await sdkCall((done) => operations.prefop(persistentId, done));
      expect(prefop.respInfo.statusCode).toBe(200);
      expect(prefop.respBody).toMatchObject({ id: persistentId, code: 0, items: [{ code: 0 }] });
      const missing = await sdkCall((done) => operations.prefop('z0.nothing', done));
      expect(missing.respInfo.statusCode).toBe(612);
    } finally {
      await pfopHook.close();
    }
  });
});
