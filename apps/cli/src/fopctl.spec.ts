import { buildFopctl } from './fopctl';

/** A strict fake gateway: answers only the calls a test names, and records them. */
function fakeGateway(routes: Record<string, { status?: number; body: unknown }>) {
  const calls: Array<{ method: string; path: string; body?: unknown; auth?: string }> = [];
  const fake = (async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    const key = `${init.method} ${path}`;
    calls.push({ method: init.method!, path, body: init.body ? JSON.parse(String(init.body)) : undefined, auth: (init.headers as Record<string, string>).Authorization });
    const route = routes[key];
    if (!route) throw new Error(`unexpected call ${key}`);
    return new Response(JSON.stringify(route.body), { status: route.status ?? 200 });
  }) as unknown as typeof fetch;
  return { fake, calls };
}

async function run(args: string[], routes: Record<string, { status?: number; body: unknown }>) {
  const out: string[] = [];
  const gateway = fakeGateway(routes);
  const program = buildFopctl({ url: 'http://gw', token: 'tkn', print: (text) => out.push(text), fetch: gateway.fake });
  await program.parseAsync(['node', 'fopctl', ...args]);
  return { out: out.join('\n'), calls: gateway.calls };
}

describe('fopctl', () => {
  it('resize -n pins a pool with the admin token', async () => {
    const { out, calls } = await run(['resize', 'image', '-n', '3'], { 'POST /v1/pools/image/resize': { body: {} } });
    expect(calls).toEqual([{ method: 'POST', path: '/v1/pools/image/resize', body: { instances: 3 }, auth: 'Bearer tkn' }]);
    expect(out).toBe('image: pinned at 3');
  });

  it('resize --auto unpins', async () => {
    const { calls } = await run(['resize', 'av', '--auto'], { 'DELETE /v1/pools/av/resize': { body: {} } });
    expect(calls[0]).toMatchObject({ method: 'DELETE', path: '/v1/pools/av/resize' });
  });

  it('upgrade sends the version and image', async () => {
    const { calls } = await run(['upgrade', 'image', '2', '-i', 'fopflow/worker:2'], { 'POST /v1/pools/image/upgrade': { body: {} } });
    expect(calls[0].body).toEqual({ version: '2', image: 'fopflow/worker:2' });
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

  it("names the gateway's error", async () => {
    await expect(run(['resize', 'nope', '-n', '1'], { 'POST /v1/pools/nope/resize': { status: 404, body: { code: 404, error: "no such pool 'nope'" } } })).rejects.toThrow(
      /404 no such pool 'nope'/,
    );
  });

  it('refuses a resize without -n or --auto, and a non-number', async () => {
    await expect(run(['resize', 'image'], {})).rejects.toThrow(/-n <instances> or --auto/);
    await expect(run(['resize', 'image', '-n', 'many'], {})).rejects.toThrow();
  });
});
