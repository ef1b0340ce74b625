import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { guardedFetch } from './guarded-fetch.client';
import { OutboundBlockedError, OutboundRedirectError, OutboundTimeoutError } from './outbound.errors';
import { CheckedTarget, OutboundGuard } from './ssrf.guard';
import { LocalServer, startLocalServer } from './testing/local-server.fixture';
import { HOOKS_TEST_CERT, HOOKS_TEST_KEY } from './testing/tls.fixture';

/**
 * Only 127.0.0.1 is ever contacted. Names are answered by an injected resolver; internal
 * addresses other than 127.0.0.1 appear only as answers the guard must refuse before connecting,
 * which `onConnect` (called right before every connection) proves.
 */
describe('guardedFetch', () => {
  let servers: LocalServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });
  async function server(handler: Parameters<typeof startLocalServer>[0]): Promise<LocalServer> {
    const started = await startLocalServer(handler);
    servers.push(started);
    return started;
  }
  function recorder() {
    const hops: Array<{ url: string } & CheckedTarget> = [];
    return { hops, onConnect: (hop: { url: URL } & CheckedTarget) => hops.push({ ...hop, url: hop.url.href }) };
  }

  it('connects to the checked address, with the Host of the URL', async () => {
    const local = await server((_req, res) => res.end('ok'));
    const resolve = jest.fn(async () => ['127.0.0.1']);
    const guard = new OutboundGuard({ allowedTargets: ['hooks.test'], resolve });
    const { hops, onConnect } = recorder();

    const answer = await guardedFetch(`http://hooks.test:${local.port}/in?x=1`, { method: 'POST', body: '{"a":1}' }, guard, { onConnect });

    expect(answer).toMatchObject({ status: 200, address: '127.0.0.1', redirects: 0, truncated: false });
    expect(answer.body.toString()).toBe('ok');
    expect(local.seen).toEqual([expect.objectContaining({ method: 'POST', url: '/in?x=1', body: '{"a":1}' })]);
    expect(local.seen[0].headers.host).toBe(`hooks.test:${local.port}`);
    expect(local.seen[0].headers['content-length']).toBe('7');
    expect(hops).toEqual([{ url: `http://hooks.test:${local.port}/in?x=1`, address: '127.0.0.1', family: 4 }]);
  });

  it('resolves once: a rebinding answer on a later lookup cannot move the connection', async () => {
    const local = await server((_req, res) => res.end('pinned'));
    // First answer passes (allowed by IP); any later answer would be the metadata service.
    const answers = [['127.0.0.1'], ['169.254.169.254']];
    const resolve = jest.fn(async () => answers.shift() ?? ['169.254.169.254']);
    const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'], resolve });
    const { hops, onConnect } = recorder();

    const answer = await guardedFetch(`http://rebind.test:${local.port}/`, {}, guard, { onConnect });

    expect(answer.body.toString()).toBe('pinned');
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(hops.map((hop) => hop.address)).toEqual(['127.0.0.1']);
    expect(local.seen).toHaveLength(1);
  });

  it('refuses a host that resolves inside before any connection', async () => {
    const guard = new OutboundGuard({ allowedTargets: [], resolve: async () => ['10.1.2.3'] });
    const { hops, onConnect } = recorder();

    const error = await guardedFetch('http://internal.test/hook', { method: 'POST', body: 'x' }, guard, { onConnect }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toMatch(/'internal.test'.*10\.1\.2\.3.*private/);
    expect(hops).toEqual([]);
  });

  it('follows redirects, checking each hop, and refuses the hop that points inside', async () => {
    const quiet = await server((_req, res) => res.end('should never be reached'));
    const entry = await server((req, res) => {
      const targets: Record<string, string> = {
        '/to-metadata': 'http://169.254.169.254/latest/meta-data/',
        '/to-internal-name': 'http://internal.test/admin',
        '/to-unlisted-loopback': `http://other.test:${quiet.port}/`,
      };
      res.writeHead(302, { location: targets[req.url] }).end();
    });
    const resolve = async (host: string) => (host === 'internal.test' ? ['10.1.2.3'] : ['127.0.0.1']);
    // entry.test is allowed by name; other.test resolves to the same loopback but is not listed.
    const guard = new OutboundGuard({ allowedTargets: ['entry.test'], resolve });

    for (const [path, blocked] of [
      ['/to-metadata', '169.254.169.254'],
      ['/to-internal-name', '10.1.2.3'],
      ['/to-unlisted-loopback', '127.0.0.1'],
    ]) {
      const { hops, onConnect } = recorder();
      const error = await guardedFetch(`http://entry.test:${entry.port}${path}`, {}, guard, { onConnect }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundBlockedError);
      expect((error as OutboundBlockedError).address).toBe(blocked);
      expect(hops).toHaveLength(1); // the entry server only
    }
    expect(entry.seen).toHaveLength(3);
    expect(quiet.seen).toEqual([]);
  });

  it('follows allowed redirects; fetch rules by default, method kept on request', async () => {
    const final = await server((req, res) => res.end(`${req.method} ${req.body}`));
    const entry = await server((req, res) => {
      const status = Number(req.url.slice(1));
      res.writeHead(status, { location: `${final.origin}/done` }).end('a redirect body nobody reads');
    });
    const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
    const post = { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain', authorization: 'QBox ak:sig' } };

    const moved = await guardedFetch(`${entry.origin}/302`, post, guard);
    expect(moved.body.toString()).toBe('GET ');
    expect(moved).toMatchObject({ redirects: 1, url: new URL(`${final.origin}/done`) });

    expect((await guardedFetch(`${entry.origin}/307`, post, guard)).body.toString()).toBe('POST payload');
    expect((await guardedFetch(`${entry.origin}/302`, post, guard, { keepMethodOnRedirect: true })).body.toString()).toBe('POST payload');
    // Another port is another origin: the Authorization meant for the first receiver stays behind.
    expect(final.seen.map((req) => req.headers.authorization)).toEqual([undefined, undefined, undefined]);
  });

  it('gives up after maxRedirects', async () => {
    const loop = await server((_req, res) => res.writeHead(301, { location: '/again' }).end());
    const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
    await expect(guardedFetch(`${loop.origin}/`, {}, guard, { maxRedirects: 2 })).rejects.toThrow(OutboundRedirectError);
    expect(loop.seen).toHaveLength(3);
  });

  it('keeps at most maxResponseBytes of the answer', async () => {
    const big = await server((_req, res) => res.end('x'.repeat(200_000)));
    const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
    const answer = await guardedFetch(big.origin, {}, guard, { maxResponseBytes: 1000 });
    expect(answer).toMatchObject({ status: 200, truncated: true });
    expect(answer.body.length).toBe(1000);
  });

  it('times out a receiver that never answers, the deadline covering the whole exchange', async () => {
    const slow = await server(() => undefined);
    const guard = new OutboundGuard({ allowedTargets: ['127.0.0.1'] });
    const started = Date.now();
    const error = await guardedFetch(`${slow.origin}/hook?token=secret`, {}, guard, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect((error as Error).message).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a resolver that hangs', async () => {
    const guard = new OutboundGuard({ allowedTargets: [], resolve: () => new Promise<string[]>(() => undefined) });
    await expect(guardedFetch('http://hangs.test/', {}, guard, { timeoutMs: 100 })).rejects.toThrow(OutboundTimeoutError);
  });

  it('refuses a string that is not a URL as blocked', async () => {
    const guard = new OutboundGuard({ allowedTargets: [] });
    await expect(guardedFetch('not a url', {}, guard)).rejects.toThrow(OutboundBlockedError);
  });
});

describe('guardedFetch over https', () => {
  it('pins the address while TLS still verifies and sends SNI for the hostname', async () => {
    let serverName: string | undefined;
    const server = createHttpsServer({ key: HOOKS_TEST_KEY, cert: HOOKS_TEST_CERT }, (req, res) => res.end(`host=${req.headers.host}`));
    server.on('secureConnection', (socket) => (serverName = (socket as unknown as { servername?: string }).servername));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const guard = new OutboundGuard({ allowedTargets: ['hooks.test'], resolve: async () => ['127.0.0.1'] });

      // Without the test CA the certificate is refused: verification is on, and against hooks.test.
      await expect(guardedFetch(`https://hooks.test:${port}/`, {}, guard)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

      const answer = await guardedFetch(`https://hooks.test:${port}/`, {}, guard, { ca: HOOKS_TEST_CERT });
      expect(answer.body.toString()).toBe(`host=hooks.test:${port}`);
      expect(serverName).toBe('hooks.test');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
