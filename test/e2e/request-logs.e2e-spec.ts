import { randomBytes } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';

const AK = 'ak-logs';
const SK = 'sk-logs-secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  name: string;
  requestId?: string;
  jobId?: string;
  queue?: string;
  context?: string;
}

/** Every line the process printed, each parsed as JSON: a line that is not JSON fails the test. */
function logLines(app: AppProcess): LogLine[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

describe('structured logs: one request followed by its id from gateway to worker to webhook', () => {
  let platform: Platform;
  let client: ApiClient;
  let receiver: Receiver;

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_ALLOWED_TARGETS: '127.0.0.1', FOPFLOW_WEBHOOK_RETRY_S: '0,1' });
    client = new ApiClient(platform.url, AK, SK);
    receiver = await startReceiver();
    expect((await client.upload('logs/photo.jpg', await makeJpeg(320, 240))).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await receiver?.close();
    await platform?.stop();
  });

  it('honours a sane X-Request-Id, echoes it, and every line of the request carries it', async () => {
    const requestId = `follow-me-${randomBytes(6).toString('hex')}`;
    const answer = await fetch(`${platform.url}/logs/photo.jpg?imageView2/2/w/64`, { headers: { 'X-Request-Id': requestId } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBe(requestId);

    // Lines reach the test through pipes: wait for the last one of each process.
    await waitFor('the worker lines of the request', async () => logLines(platform.workers[0]).some((line) => line.requestId === requestId && /completed/.test(line.msg)));
    await waitFor('the gateway line of the request', async () => logLines(platform.gateway).some((line) => line.requestId === requestId && line.msg === 'request completed'));
    const gateway = logLines(platform.gateway).filter((line) => line.requestId === requestId);
    expect(gateway.map((line) => line.msg)).toContain('request completed');
    // Never the headers: they carry signatures and tokens.
    expect(platform.gateway.output()).not.toMatch(/authorization|Qiniu ak-logs/i);
    expect(gateway.every((line) => line.name === 'gateway')).toBe(true);

    const worker = logLines(platform.workers[0]).filter((line) => line.requestId === requestId);
    expect(worker.map((line) => line.msg)).toEqual(expect.arrayContaining(['job started', expect.stringMatching(/^job completed in \d+ ms$/)]));
    // The worker's lines name the job too: the one the gateway queued on the image command's queue.
    expect(new Set(worker.map((line) => line.jobId)).size).toBe(1);
    expect(worker[0].jobId).toMatch(/^[0-9a-f]{16,}$/);
    expect(worker[0].queue).toBe('fop.imageView2.paid');
    expect(worker.every((line) => line.name === 'worker')).toBe(true);
  });

  it('makes an id when none is given or the given one is not sane', async () => {
    const none = await fetch(`${platform.url}/logs/photo.jpg`);
    expect(none.headers.get('x-request-id')).toMatch(UUID);
    const insane = await fetch(`${platform.url}/logs/photo.jpg`, { headers: { 'X-Request-Id': `x y ${'z'.repeat(200)}` } });
    const made = insane.headers.get('x-request-id');
    expect(made).toMatch(UUID);
    await waitFor('the gateway line of that request', async () => logLines(platform.gateway).some((line) => line.requestId === made));
    expect(platform.gateway.output()).not.toContain('zzzzzzzzzz');
    expect(platform.gateway.output()).toContain(`"requestId":"${made}"`);
  });

  it('carries the id of an async job into its worker lines and its webhook delivery', async () => {
    const requestId = `async-${randomBytes(6).toString('hex')}`;
    const answer = await client.json<{ id: string }>(
      'POST',
      '/v1/jobs',
      { source: { bucket: 'logs', key: 'photo.jpg' }, fops: ['imageView2/2/w/32'], notifyUrl: receiver.url },
      { 'X-Request-Id': requestId },
    );
    expect(answer.status).toBe(202);
    await receiver.waitFor(1);
    await waitFor('the delivery lines', async () => logLines(platform.workers[0]).some((line) => line.requestId === requestId && line.queue === 'notify' && /completed/.test(line.msg)));

    const worker = logLines(platform.workers[0]).filter((line) => line.requestId === requestId);
    const fop = worker.filter((line) => line.queue === 'fop.imageView2.paid');
    const delivery = worker.filter((line) => line.queue === 'notify');
    expect(fop.map((line) => line.jobId)).toContain(`${answer.body.id}-0`);
    expect(delivery.map((line) => line.jobId)).toContain(answer.body.id);
    expect(logLines(platform.gateway).some((line) => line.requestId === requestId)).toBe(true);
  });
});
