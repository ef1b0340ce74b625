import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import sharp from 'sharp';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';

describe('when parts fail or stop', () => {
  let platform: Platform;

  const put = (path: string, body: Buffer) =>
    platform.asOperator(`/v1/objects/${path}`, { method: 'PUT', body, headers: { 'Content-Type': 'image/jpeg' } });
  const withQueue = async <T>(name: string, use: (queue: Queue) => Promise<T>): Promise<T> => {
    const connection = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(name, { connection });
    try {
      return await use(queue);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  };

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_SYNC_WAIT_MS: '1500', FOPFLOW_CONCURRENCY: '1' });
    expect((await put('media/small.jpg', await makeJpeg(800, 600))).status).toBe(200);
  });

  afterAll(() => platform?.stop());

  it('finishes the active job on SIGTERM before the worker exits', async () => {
    // Three full-size PNG re-encodes of a noisy 24 MP image keep the worker busy for seconds:
    // PNG has no shrink-on-load, so no step is cheap.
    const big = await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .jpeg({ quality: 90 })
      .toBuffer();
    expect((await put('media/big.jpg', big)).status).toBe(200);
    const fop = 'imageView2/2/w/5999/format/png|imageView2/2/w/5998/format/png|imageView2/2/w/5997/format/png';
    const [worker] = platform.workers;
    const answer = fetch(`${platform.url}/media/big.jpg?${fop}`);
    const active = await waitFor('the job to become active', () =>
      withQueue('fop.imageView2.paid', async (queue) => (await queue.getActive()).length > 0),
    ).then(() => withQueue('fop.imageView2.paid', async (queue) => (await queue.getActive())[0]));
    const stopAt = Date.now();
    const exitCode = await worker.stop('SIGTERM');

    expect(exitCode).toBe(0);
    expect(worker.output()).toMatch(/SIGTERM: shutting down[\s\S]*finishing active jobs[\s\S]*stopped/);
    const finished = await withQueue('fop.imageView2.paid', async (queue) => {
      const job = (await queue.getJob(active.id!))!;
      return { state: await job.getState(), finishedOn: job.finishedOn ?? 0 };
    });
    expect(finished.state).toBe('completed');
    expect(finished.finishedOn).toBeGreaterThanOrEqual(stopAt);
    await answer;
    const again = await fetch(`${platform.url}/media/big.jpg?${fop}`);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-fop-cache')).toBe('HIT');
    expect((await sharp(Buffer.from(await again.arrayBuffer())).metadata()).width).toBe(5997);
  });

  it('answers 504 when no worker starts in time, withdrawing the job nobody waits for, and serves once a worker is back', async () => {
    expect(platform.workers.every((worker) => worker.child.exitCode !== null)).toBe(true);
    const late = await fetch(`${platform.url}/media/small.jpg?imageView2/2/w/120`);
    expect(late.status).toBe(504);
    expect(((await late.json()) as { error: string }).error).toMatch(/syncWaitMs 1500; it was withdrawn/);
    expect(await withQueue('fop.imageView2.paid', (queue) => queue.getWaitingCount())).toBe(0);

    await platform.startWorker();
    const served = await fetch(`${platform.url}/media/small.jpg?imageView2/2/w/120`);
    expect(served.status).toBe(200);
    const cached = await fetch(`${platform.url}/media/small.jpg?imageView2/2/w/120`);
    expect(cached.status).toBe(200);
    expect(cached.headers.get('x-fop-cache')).toBe('HIT');
  });

  it('answers 503 at once while Redis is down, and recovers when it is back', async () => {
    await platform.redis.kill();
    const started = Date.now();
    const down = await fetch(`${platform.url}/media/small.jpg?imageView2/2/w/90`);
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await down.json()).toMatchObject({ code: 503, error: expect.stringMatching(/redis/) });
    expect((await fetch(`${platform.url}/ready`)).status).toBe(503);
    expect((await fetch(`${platform.url}/health`)).status).toBe(200);
    expect((await fetch(`${platform.url}/metrics`)).status).toBe(200);

    await platform.redis.restart();
    await waitFor('gateway ready again', async () => (await fetch(`${platform.url}/ready`)).ok);
    // The restarted Redis is empty: the worker must have reconnected and re-registered its consumers.
    const back = await fetch(`${platform.url}/media/small.jpg?imageView2/2/w/90`);
    expect(back.status).toBe(200);
    expect(platform.gateway.child.exitCode).toBeNull();
    expect(platform.workers.at(-1)!.child.exitCode).toBeNull();
  });
});
