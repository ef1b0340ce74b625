import { AccessKeyStore, verifyRequestSignature } from '@fopflow/auth';
import { buildFopctl } from './fopctl';
import { JobView, progressLine } from './fopctl-jobs';

const key = { accessKey: 'AKjobs', secretKey: 'SKjobs' };

/** A job with `items` given as [code, progress?] pairs. */
function job(code: number, items: Array<[number, number?]>, extra: Partial<JobView> = {}): JobView {
  return {
    id: 'z0.abc',
    code,
    desc: 'd',
    inputBucket: 'media',
    inputKey: 'a.jpg',
    pipeline: '0.default',
    creationDate: '2026-12-07T08:00:00.000Z',
    items: items.map(([itemCode, progress], index) => ({ cmd: `fop${index}`, code: itemCode, desc: 'd', ...(progress !== undefined && { progress }) })),
    ...extra,
  };
}

/**
 * A strict fake gateway: each `METHOD path` (query included) answers the bodies listed for it in
 * turn (the last one repeats); any other call fails the test.
 */
async function run(args: string[], routes: Record<string, Array<{ status?: number; body: unknown }>>) {
  const out: string[] = [];
  const bars: string[] = [];
  const sent: Array<{ method: string; path: string; headers: Record<string, string>; raw: Buffer }> = [];
  const served: Record<string, number> = {};
  const fake = (async (url: string, init: RequestInit) => {
    const target = new URL(url);
    const path = `${target.pathname}${target.search}`;
    const name = `${init.method} ${path}`;
    sent.push({ method: init.method!, path, headers: init.headers as Record<string, string>, raw: init.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body as Buffer) });
    const answers = routes[name];
    if (!answers) throw new Error(`unexpected call ${name}`);
    const index = Math.min(served[name] ?? 0, answers.length - 1);
    served[name] = (served[name] ?? 0) + 1;
    return new Response(JSON.stringify(answers[index].body), { status: answers[index].status ?? 200 });
  }) as unknown as typeof fetch;
  const program = buildFopctl({ url: 'http://gw', key, print: (text) => out.push(text), progress: (line) => bars.push(line), sleep: async () => undefined, fetch: fake });
  let failure: Error | undefined;
  await program.parseAsync(['node', 'fopctl', 'jobs', ...args]).catch((error: Error) => (failure = error));
  return { out: out.join('\n'), bars, sent, failure };
}

describe('fopctl jobs', () => {
  it('submits a stored object with several fops, signed with Qiniu v2 over the JSON body', async () => {
    const { out, sent } = await run(['submit', 'media/a.jpg', 'imageView2/2/w/100', 'avinfo', '--notify-url', 'http://127.0.0.1:9/hook', '--force'], {
      'POST /v1/jobs': [{ status: 202, body: { id: 'z0.abc' } }],
    });
    expect(out).toBe('z0.abc');
    expect(JSON.parse(sent[0].raw.toString())).toEqual({ source: { bucket: 'media', key: 'a.jpg' }, fops: ['imageView2/2/w/100', 'avinfo'], notifyUrl: 'http://127.0.0.1:9/hook', force: true });
    const headers = Object.fromEntries(Object.entries(sent[0].headers).map(([name, value]) => [name.toLowerCase(), value]));
    const keys = new AccessKeyStore([{ ...key, tier: 'paid' }]);
    const signed = { method: 'POST', path: '/v1/jobs', host: 'gw', headers, body: sent[0].raw };
    expect(verifyRequestSignature(signed, keys, { operationBoundIn: '/v1 routes' }).accessKey).toBe('AKjobs');
    // The signature covers the body: another body under the same headers is refused.
    expect(() => verifyRequestSignature({ ...signed, body: Buffer.from('{}') }, keys, { operationBoundIn: '/v1 routes' })).toThrow();
  });

  it('takes an URL source and sends the idempotency key; --json prints the answer', async () => {
    const { out, sent } = await run(['submit', 'http://127.0.0.1:9/a.jpg', 'imageInfo', '--idempotency-key', 'k1', '--json'], { 'POST /v1/jobs': [{ body: { id: 'z0.u' } }] });
    expect(JSON.parse(out)).toEqual({ id: 'z0.u' });
    expect(JSON.parse(sent[0].raw.toString()).source).toEqual({ url: 'http://127.0.0.1:9/a.jpg' });
    expect(sent[0].headers['Idempotency-Key']).toBe('k1');
  });

  it('refuses a source that is neither <bucket>/<key> nor a URL, before calling anything', async () => {
    const { failure, sent } = await run(['submit', 'nobucket', 'imageInfo'], {});
    expect(failure?.message).toMatch(/source 'nobucket' is <bucket>\/<key> or an http\(s\) URL/);
    expect(sent).toHaveLength(0);
  });

  it('waits with a progress bar that grows until the job is done', async () => {
    const { out, bars, failure } = await run(['wait', 'z0.abc'], {
      'GET /v1/jobs/z0.abc': [{ body: job(1, [[1], [1]]) }, { body: job(2, [[0], [2, 40]]) }, { body: job(2, [[0], [2, 40]]) }, { body: job(0, [[0], [0]]) }],
    });
    expect(failure).toBeUndefined();
    // An unchanged status draws nothing new.
    expect(bars).toEqual([progressLine(job(1, [[1], [1]])), progressLine(job(2, [[0], [2, 40]])), progressLine(job(0, [[0], [0]]))]);
    expect(bars[0]).toMatch(/^\[-{30}\]\s+0%  0\/2 done  waiting$/);
    expect(bars[1]).toMatch(/^\[#{21}-{9}\]\s+70%  1\/2 done  processing$/);
    expect(bars[2]).toMatch(/^\[#{30}\] 100%  2\/2 done  done$/);
    expect(out).toMatch(/^job:\s+z0.abc\nstate:\s+done/);
  });

  it('wait fails naming the failed fop, and --json prints the status without a bar', async () => {
    const failed = job(3, [[0], [3]]);
    failed.items[1].error = 'source is not an image';
    const { out, bars, failure } = await run(['wait', 'z0.abc', '--json'], { 'GET /v1/jobs/z0.abc': [{ body: failed }] });
    expect(failure?.message).toBe('job z0.abc failed: fop 1 (fop1): source is not an image');
    expect(bars).toEqual([]);
    expect(JSON.parse(out)).toEqual(failed);
  });

  it('wait gives up after --timeout', async () => {
    const { failure } = await run(['wait', 'z0.abc', '--timeout', '0'], { 'GET /v1/jobs/z0.abc': [{ body: job(1, [[1]]) }] });
    expect(failure?.message).toBe('job z0.abc still waiting after 0 s (--timeout)');
  });

  it('submit --wait queues then follows the job', async () => {
    const { out, bars } = await run(['submit', 'media/a.jpg', 'imageInfo', '--wait'], {
      'POST /v1/jobs': [{ body: { id: 'z0.abc' } }],
      'GET /v1/jobs/z0.abc': [{ body: job(1, [[1]]) }, { body: job(0, [[0]], { notify: { url: 'http://h', state: 'delivered', attempts: [{ at: 0, outcome: 'delivered', status: 200 }] } }) }],
    });
    expect(out.split('\n')[0]).toBe('job z0.abc queued');
    expect(out).toMatch(/webhook: http:\/\/h delivered \(delivered 200\)/);
    expect(bars).toHaveLength(2);
  });

  it("status prints each fop's state, result and error", async () => {
    const status = job(3, [[0], [3]]);
    status.items[0].key = 'media/out.jpg';
    status.items[1].error = 'bad';
    const { out } = await run(['status', 'z0.abc'], { 'GET /v1/jobs/z0.abc': [{ body: status }] });
    const rows = out.split('\n');
    expect(rows).toContain('state:   failed (d)');
    expect(rows.find((row) => row.startsWith('0 '))).toMatch(/^0\s+fop0\s+done\s+100%\s+media\/out.jpg$/);
    expect(rows.find((row) => row.startsWith('1 '))).toMatch(/^1\s+fop1\s+failed\s+-\s+-\s+bad$/);
  });

  it('cancel deletes the job and names its state', async () => {
    const { out, sent } = await run(['cancel', 'z0.abc'], { 'DELETE /v1/jobs/z0.abc': [{ body: job(3, [[3]]) }] });
    expect(sent[0].method).toBe('DELETE');
    expect(out).toBe('job z0.abc: cancel requested, now failed');
  });

  it('list filters by a state name and pages with --before', async () => {
    const { out } = await run(['list', '--code', 'failed', '-n', '1'], {
      'GET /v1/jobs?limit=1&code=3': [{ body: { items: [job(3, [[3]])], nextBefore: 1765094400000 } }],
    });
    expect(out.split('\n')[0]).toMatch(/^ID\s+STATE\s+PROGRESS\s+SOURCE\s+FOPS\s+CREATED$/);
    expect(out.split('\n')[1]).toMatch(/^z0.abc\s+failed\s+100%\s+media\/a.jpg\s+1\s+2026-12-07/);
    expect(out.split('\n')[2]).toBe('(more: fopctl jobs list --before 1765094400000)');
    const bad = await run(['list', '--code', 'finished'], {});
    expect(bad.failure?.message).toMatch(/one of done, waiting, processing, failed, callback-failed/);
  });

  it("names the gateway's refusal", async () => {
    const { failure } = await run(['status', 'z0.other'], { 'GET /v1/jobs/z0.other': [{ status: 404, body: { code: 404, error: "no such job 'z0.other'" } }] });
    expect(failure?.message).toBe("GET /v1/jobs/z0.other: 404 no such job 'z0.other'");
  });
});
