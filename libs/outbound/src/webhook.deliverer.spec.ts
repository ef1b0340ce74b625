import { MAX_RETRY_AFTER_MS } from './retry.schedule';
import { OutboundGuard } from './ssrf.guard';
import { closedLocalPort, LocalServer, startLocalServer } from './testing/local-server.fixture';
import { deliver, parseRetryAfter, WebhookDeliveryError } from './webhook.deliverer';
import { signStandardWebhook, verifyStandardWebhook } from './webhook.signing';

describe('deliver', () => {
  // The local receiver is allowed by IP, as an operator would allow an in-house receiver.
  const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
  let receiver: LocalServer;
  let answer: (path: string, res: import('node:http').ServerResponse) => void;

  beforeAll(async () => {
    receiver = await startLocalServer((req, res) => answer(req.url, res));
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.seen.length = 0;
    answer = (path, res) => {
      const [, code] = /^\/(\d{3})/.exec(path) ?? [];
      res.writeHead(Number(code ?? 200)).end(`answer to ${path}`);
    };
  });

  const body = '{"id":"z0.job","code":0}';
  const signed = signStandardWebhook({ id: 'job-1', timestamp: 1700000000, body, secrets: ['whsec_c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzIQ=='] });

  it('delivers on 2xx, posting the signed body and headers as given', async () => {
    const result = await deliver({ url: `${receiver.origin}/201`, body, headers: { ...signed } }, guard);
    expect(result).toMatchObject({ outcome: 'delivered', status: 201 });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [request] = receiver.seen;
    expect(request).toMatchObject({ method: 'POST', body });
    expect(request.headers['content-type']).toBe('application/json');
    expect(
      verifyStandardWebhook(request.headers, request.body, ['whsec_c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzIQ=='], { now: new Date(1700000000_000) }),
    ).toEqual({ valid: true });
  });

  it('stops on 410 Gone', async () => {
    expect(await deliver({ url: `${receiver.origin}/410`, body }, guard)).toMatchObject({ outcome: 'gone', status: 410 });
  });

  it('retries 429 honouring Retry-After in seconds or as an HTTP date', async () => {
    answer = (_path, res) => res.writeHead(429, { 'retry-after': '120' }).end('slow down');
    expect(await deliver({ url: `${receiver.origin}/`, body }, guard)).toMatchObject({
      outcome: 'retry',
      status: 429,
      retryAfterMs: 120_000,
      error: 'receiver answered 429: slow down',
    });

    const now = Date.parse('2030-01-01T00:00:00Z');
    answer = (_path, res) => res.writeHead(503, { 'retry-after': 'Tue, 01 Jan 2030 00:10:00 GMT' }).end();
    expect(await deliver({ url: `${receiver.origin}/`, body }, guard, { now: () => now })).toMatchObject({
      outcome: 'retry',
      status: 503,
      retryAfterMs: 600_000,
    });
  });

  it('retries 5xx and other 4xx, keeping a short excerpt of the answer', async () => {
    const failed = await deliver({ url: `${receiver.origin}/500`, body }, guard);
    expect(failed).toEqual({ outcome: 'retry', status: 500, error: 'receiver answered 500: answer to /500', durationMs: expect.any(Number) });
    expect(await deliver({ url: `${receiver.origin}/404`, body }, guard)).toMatchObject({ outcome: 'retry', status: 404 });
    answer = (_path, res) => res.writeHead(502).end('x'.repeat(5000));
    expect((await deliver({ url: `${receiver.origin}/`, body }, guard)).error!.length).toBeLessThan(300);
  });

  it('retries a receiver that does not answer in time', async () => {
    answer = () => undefined;
    const result = await deliver({ url: `${receiver.origin}/hook?token=secret`, body, timeoutMs: 200 }, guard);
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/timed out after 200 ms/) });
    expect(result.error).not.toContain('secret');
    expect(result.status).toBeUndefined();
  });

  it('retries when the connection is refused', async () => {
    const port = await closedLocalPort();
    expect(await deliver({ url: `http://127.0.0.1:${port}/`, body }, guard)).toMatchObject({
      outcome: 'retry',
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('reports blocked, without contacting anyone, for an internal target', async () => {
    const strict = new OutboundGuard({ allowedTargets: [], resolve: async () => ['169.254.169.254'] });
    const result = await deliver({ url: 'http://metadata.test/latest', body }, strict);
    expect(result).toMatchObject({ outcome: 'blocked', error: expect.stringContaining('169.254.169.254') });
    // 127.0.0.1 itself is refused too when not allowed, and the local receiver sees nothing.
    expect(await deliver({ url: `${receiver.origin}/200`, body }, new OutboundGuard({ allowedTargets: [] }))).toMatchObject({ outcome: 'blocked' });
    expect(receiver.seen).toEqual([]);
  });

  it('carries the outcome to a queue consumer as an error with retryAfterMs', () => {
    const error = new WebhookDeliveryError({ outcome: 'retry', status: 429, retryAfterMs: 5000, error: 'receiver answered 429', durationMs: 3 });
    expect(error.retryAfterMs).toBe(5000);
    expect(error.message).toBe('webhook retry: receiver answered 429');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP dates, capping at 24 h', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 01:00:00 GMT', now)).toBe(3_600_000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0); // already past
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Sat, 01 Jan 2050 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(['60', '90'], now)).toBe(60_000);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
