import { AccessKeyStore, verifyRequestSignature } from '@fopflow/auth';
import { buildFopctl } from './fopctl';

/** A strict fake gateway: answers only the calls a test names, and records them. */
function fakeGateway(routes: Record<string, { status?: number; body: unknown }>) {
  const calls: Array<{ method: string; path: string; body?: any; auth?: string }> = [];
  /** Each call as sent, for checking its signature as the gateway would. */
  const sent: Array<{ method: string; path: string; headers: Record<string, string>; raw: Buffer }> = [];
  const fake = (async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    const key = `${init.method} ${path}`;
    const type = (init.headers as Record<string, string>)['Content-Type'];
    const body = init.body === undefined ? undefined : type === 'application/json' ? JSON.parse(String(init.body)) : Buffer.from(init.body as Buffer);
    const headers = init.headers as Record<string, string>;
    const raw = init.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body as Buffer);
    calls.push({ method: init.method!, path, body, auth: headers.Authorization });
    sent.push({ method: init.method!, path, headers, raw });
    const route = routes[key];
    if (!route) throw new Error(`unexpected call ${key}`);
    return new Response(JSON.stringify(route.body), { status: route.status ?? 200 });
  }) as unknown as typeof fetch;
  return { fake, calls, sent };
}

/** What the gateway answers for a custom command nobody registered: the name is then a pool's. */
const notCustom = (name: string) => ({ status: 404, body: { code: 404, error: `no custom command '${name}' is registered` } });

async function run(args: string[], routes: Record<string, { status?: number; body: unknown }>, key?: { accessKey: string; secretKey: string }) {
  const out: string[] = [];
  const gateway = fakeGateway(routes);
  const program = buildFopctl({ url: 'http://gw', token: key ? undefined : 'tkn', key, print: (text) => out.push(text), fetch: gateway.fake });
  await program.parseAsync(['node', 'fopctl', ...args]);
  return { out: out.join('\n'), calls: gateway.calls, sent: gateway.sent };
}

describe('fopctl', () => {
  it('resize -n pins a pool with the admin token', async () => {
    const { out, calls } = await run(['resize', 'image', '-n', '3'], { 'POST /v1/ufops/image/resize': notCustom('image'), 'POST /v1/pools/image/resize': { body: {} } });
    expect(calls[1]).toEqual({ method: 'POST', path: '/v1/pools/image/resize', body: { instances: 3 }, auth: 'Bearer tkn' });
    expect(out).toBe('image: pinned at 3');
  });

  it('resize --auto unpins', async () => {
    const { calls } = await run(['resize', 'av', '--auto'], { 'POST /v1/ufops/av/resize': notCustom('av'), 'DELETE /v1/pools/av/resize': { body: {} } });
    expect(calls[1]).toMatchObject({ method: 'DELETE', path: '/v1/pools/av/resize' });
  });

  it('upgrade sends the version and image', async () => {
    const { calls } = await run(['upgrade', 'image', '2', '-i', 'fopflow/worker:2'], { 'PUT /v1/ufops/image/version': notCustom('image'), 'POST /v1/pools/image/upgrade': { body: {} } });
    expect(calls[1].body).toEqual({ version: '2', image: 'fopflow/worker:2' });
  });

  it('prints pools as a table', async () => {
    const pool = {
      name: 'image',
      settings: { minInstances: 1, maxInstances: 4, version: '1' },
      state: { pinnedInstances: 2 },
      decision: { pending: 12, desired: 2, ready: 2, starting: 0, draining: 0 },
      instances: [],
    };
    const { out } = await run(['pools'], { 'GET /v1/pools': { body: { items: [pool] } } });
    expect(out.split('\n')[0]).toMatch(/^POOL\s+VERSION\s+MIN\s+MAX\s+PINNED\s+PENDING/);
    expect(out.split('\n')[1]).toMatch(/^image\s+1\s+1\s+4\s+2\s+12\s+2\s+2\s+0\s+0$/);
  });

  it('--json prints the gateway answer instead of the table, on any command', async () => {
    const answer = { items: [{ id: 'image-1-ab', pool: 'image', version: '1', runtime: 'process', state: 'ready', inFlight: 2 }] };
    const { out } = await run(['instances', '--json'], { 'GET /v1/instances': { body: answer } });
    expect(JSON.parse(out)).toEqual(answer);
    const resized = await run(['resize', 'image', '-n', '2', '--json'], { 'POST /v1/ufops/image/resize': notCustom('image'), 'POST /v1/pools/image/resize': { body: { pinnedInstances: 2 } } });
    expect(JSON.parse(resized.out)).toEqual({ pinnedInstances: 2 });
    const plain = await run(['instances'], { 'GET /v1/instances': { body: answer } });
    expect(plain.out.split('\n')[1]).toMatch(/^image-1-ab\s+image\s+1\s+process\s+ready\s+2$/);
  });

  it("names the gateway's error", async () => {
    await expect(run(['resize', 'nope', '-n', '1'], { 'POST /v1/ufops/nope/resize': notCustom('nope'), 'POST /v1/pools/nope/resize': { status: 404, body: { code: 404, error: "no such pool 'nope'" } } })).rejects.toThrow(
      /404 no such pool 'nope'/,
    );
  });

  it('refuses a resize without -n or --auto, and a non-number', async () => {
    await expect(run(['resize', 'image'], {})).rejects.toThrow(/-n <instances> or --auto/);
    await expect(run(['resize', 'image', '-n', 'many'], {})).rejects.toThrow();
  });

  describe('custom commands', () => {
    const key = { accessKey: 'AKuser', secretKey: 'SKuser' };

    it('signs with the access key instead of the admin token', async () => {
      const record = { name: 'my-sepia', kind: 'ufop', mode: 'private', flavor: 'C1M1' };
      const { out, calls, sent } = await run(['reg', 'my-sepia', '-m', '2'], { 'POST /v1/ufops': { body: record } }, key);
      expect(calls[0].auth).toMatch(/^Qiniu AKuser:[A-Za-z0-9_-]+=*$/);
      // As the gateway checks /v1 calls: bound to method and body, with a fresh X-Qiniu-Date.
      const { method, path, headers, raw } = sent[0];
      const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      const signed = { method, path, host: 'gw', headers: lower, body: raw };
      const keys = new AccessKeyStore([{ ...key, tier: 'paid' }]);
      expect(headers['X-Qiniu-Date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(verifyRequestSignature(signed, keys, { operationBoundIn: '/v1 routes' }).accessKey).toBe('AKuser');
      expect(() => verifyRequestSignature({ ...signed, method: 'DELETE' }, keys, { operationBoundIn: '/v1 routes' })).toThrow(/does not match/);
      expect(calls[0].body).toEqual({ name: 'my-sepia', mode: 2 });
      expect(out).toBe('my-sepia: registered (ufop, private, C1M1)');
    });

    it('resizes and upgrades a custom command without touching pools', async () => {
      const resized = await run(['resize', 'my-sepia', '-n', '3'], { 'POST /v1/ufops/my-sepia/resize': { body: {} } }, key);
      expect(resized.calls).toHaveLength(1);
      expect(resized.calls[0].body).toEqual({ instances: 3 });
      const upgraded = await run(['upgrade', 'my-sepia'], { 'POST /v1/ufops/my-sepia/upgrade': { body: { currentVersion: '4' } } }, key);
      expect(upgraded.out).toBe('my-sepia: upgrading to version 4');
    });

    it('refuses a mode other than 1 or 2, and a third-party header without a colon', async () => {
      await expect(run(['reg', 'x-y', '-m', '3'], {}, key)).rejects.toThrow(/-m is 1 \(public\) or 2 \(private\)/);
      await expect(run(['reg', 'x-y', '--url', 'http://a.test/run', '--header', 'nocolon'], {})).rejects.toThrow(/'Name: value'/);
    });

    it('registers a third-party service with its URL host as the allowed host', async () => {
      const { calls } = await run(['reg', 'ocr', '-m', '1', '--url', 'https://ocr.example.com/run', '--header', 'Authorization: Bearer x', '--rate', '5'], {
        'POST /v1/ufops': { body: { name: 'ocr', kind: 'remote', mode: 'public', flavor: 'C1M1' } },
      });
      expect(calls[0].body.remote).toEqual({ url: 'https://ocr.example.com/run', allowedHosts: ['ocr.example.com'], authHeader: { name: 'Authorization', value: 'Bearer x' }, ratePerS: 5 });
    });

    it('lists versions with the current one marked', async () => {
      const { out } = await run(['versions', 'my-sepia'], {
        'GET /v1/ufops/my-sepia/versions': {
          body: { current: '1', items: [{ version: '1', state: 'ready', createdAt: 0, image: 'r/ufop/a-my-sepia:1' }, { version: '2', state: 'failed', createdAt: 0, error: 'build_script[0] failed' }] },
        },
      });
      expect(out.split('\n')[1]).toMatch(/^1 \*\s+ready\s+1970-01-01T00:00:00.000Z\s+r\/ufop\/a-my-sepia:1$/);
      expect(out.split('\n')[2]).toMatch(/^2\s+failed\s+.*build_script\[0\] failed$/);
    });
  });
  describe('styles', () => {
    const key = { accessKey: 'AKuser', secretKey: 'SKuser' };

    it('style set puts the fops under the style name, signed with the key', async () => {
      const { out, calls } = await run(['style', 'set', 'photos', 'thumb', 'imageView2/2/w/320'], {
        'PUT /v1/buckets/photos/styles/thumb': { body: { name: 'thumb', fops: 'imageView2/2/w/320' } },
      }, key);
      expect(calls[0]).toMatchObject({ method: 'PUT', body: { fops: 'imageView2/2/w/320' }, auth: expect.stringMatching(/^Qiniu AKuser:/) });
      expect(out).toBe('photos: style thumb = imageView2/2/w/320');
    });

    it('style list prints separators, protection and a table', async () => {
      const { out } = await run(['style', 'list', 'photos'], {
        'GET /v1/buckets/photos/styles': { body: { items: [{ name: 'thumb', fops: 'imageView2/2/w/320' }], separator: '-!', protected: true } },
      }, key);
      expect(out.split('\n')).toEqual(["photos: separators '-!', original images protected", 'NAME   FOPS', 'thumb  imageView2/2/w/320']);
    });

    it('style rm, separator and protect call the bucket routes', async () => {
      const removed = await run(['style', 'rm', 'photos', 'thumb'], { 'DELETE /v1/buckets/photos/styles/thumb': { body: { name: 'thumb', fops: 'x' } } }, key);
      expect(removed.out).toBe('photos: style thumb removed');
      const sep = await run(['style', 'separator', 'photos', '--', '-_'], { 'PUT /v1/buckets/photos': { body: {} } }, key);
      expect(sep.calls[0].body).toEqual({ separator: '-_' });
      const on = await run(['style', 'protect', 'photos', 'on'], { 'PUT /v1/buckets/photos': { body: {} } }, key);
      expect(on.calls[0].body).toEqual({ protected: true });
      await expect(run(['style', 'protect', 'photos', 'maybe'], {}, key)).rejects.toThrow(/on or off/);
    });

    it("names the gateway's refusal", async () => {
      await expect(run(['style', 'set', 'theirs', 'x', 'imageInfo'], { 'PUT /v1/buckets/theirs/styles/x': { status: 403, body: { code: 403, error: "bucket 'theirs' is not yours" } } }, key)).rejects.toThrow(
        /403 bucket 'theirs' is not yours/,
      );
    });
  });
});
