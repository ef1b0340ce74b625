import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { Platform, startPlatform } from '../support/platform';

/** Every file under `dir`, recursively: proof that nothing was half-written. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('objects and buckets', () => {
  let platform: Platform;
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  const put = (path: string, data: Buffer | string, headers: Record<string, string> = {}) =>
    platform.asOperator(`/v1/objects/${path}`, { method: 'PUT', body: data, headers });

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_MAX_UPLOAD_BYTES: '4096' });
  });

  afterAll(() => platform?.stop());

  it('stores an upload and answers etag, size and mime', async () => {
    const answer = await put('docs/a/b/c.bin', body, { 'Content-Type': 'application/x-test' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ bucket: 'docs', key: 'a/b/c.bin', size: 1000, mime: 'application/x-test', etag: expect.any(String) });
  });

  it('serves the raw object with ETag, Range, HEAD and conditional GET', async () => {
    const full = await fetch(`${platform.url}/docs/a/b/c.bin`);
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer()).equals(body)).toBe(true);
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);

    const part = await fetch(`${platform.url}/docs/a/b/c.bin`, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(10, 20))).toBe(true);

    const tail = await fetch(`${platform.url}/docs/a/b/c.bin`, { headers: { Range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(body.subarray(995))).toBe(true);

    const outside = await fetch(`${platform.url}/docs/a/b/c.bin`, { headers: { Range: 'bytes=5000-6000' } });
    expect(outside.status).toBe(416);
    expect(await outside.json()).toMatchObject({ code: 416 });

    const head = await fetch(`${platform.url}/docs/a/b/c.bin`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(head.headers.get('content-type')).toBe('application/x-test');

    expect((await fetch(`${platform.url}/docs/a/b/c.bin`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
  });

  it('keeps `a` and `a/b` apart and lists by prefix, delimiter and pages', async () => {
    await put('docs/a', 'short');
    await put('docs/a/x.txt', 'x');
    const all = (await (await platform.asOperator(`/v1/objects/docs?prefix=a`)).json()) as { items: { key: string }[] };
    expect(all.items.map((item) => item.key)).toEqual(['a', 'a/b/c.bin', 'a/x.txt']);

    const rolled = (await (await platform.asOperator(`/v1/objects/docs?prefix=a/&delimiter=/`)).json()) as {
      items: { key: string }[];
      commonPrefixes: string[];
    };
    expect(rolled.items.map((item) => item.key)).toEqual(['a/x.txt']);
    expect(rolled.commonPrefixes).toEqual(['a/b/']);

    const page = (await (await platform.asOperator(`/v1/objects/docs?limit=1`)).json()) as { items: { key: string }[]; nextMarker: string };
    expect(page.items).toHaveLength(1);
    const next = (await (await platform.asOperator(`/v1/objects/docs?limit=5&marker=${encodeURIComponent(page.nextMarker)}`)).json()) as {
      items: { key: string }[];
    };
    expect(next.items.map((item) => item.key)).toEqual(['a/b/c.bin', 'a/x.txt']);
    expect((await platform.asOperator(`/v1/objects/docs?limit=0`)).status).toBe(400);
  });

  it('deletes an object: 204, then 404', async () => {
    expect((await platform.asOperator(`/v1/objects/docs/a`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${platform.url}/docs/a`)).status).toBe(404);
    expect((await platform.asOperator(`/v1/objects/docs/a`, { method: 'DELETE' })).status).toBe(404);
  });

  it('creates buckets explicitly and refuses bad or reserved names', async () => {
    expect((await platform.asOperator(`/v1/buckets/empty-one`, { method: 'PUT' })).status).toBe(200);
    const buckets = (await (await platform.asOperator(`/v1/buckets`)).json()) as { items: { name: string }[] };
    expect(buckets.items.map((bucket) => bucket.name)).toEqual(expect.arrayContaining(['docs', 'empty-one']));
    for (const name of ['Upper', 'metrics', 'a']) {
      const answer = await platform.asOperator(`/v1/buckets/${name}`, { method: 'PUT' });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toContain(name);
    }
    expect((await put('docs/..%2Fescape', 'x')).status).toBe(400);
  });

  it('refuses an upload over the limit with 413 and leaves nothing behind', async () => {
    const tooBig = await put('docs/big.bin', Buffer.alloc(5000, 1));
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: string }).error).toMatch(/4096/);
    expect((await fetch(`${platform.url}/docs/big.bin`)).status).toBe(404);

    // Without Content-Length the limit is enforced while streaming.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${platform.url}/v1/objects/docs/chunked.bin`, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked', Authorization: `Bearer ${platform.adminToken}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000, 2));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await fetch(`${platform.url}/docs/chunked.bin`)).status).toBe(404);
    expect(filesUnder(join(platform.dataDir, 'buckets')).filter((file) => /(^|\/)tmp\//.test(file))).toEqual([]);
  });

  it('leaves no partial object when the client aborts mid-upload', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${platform.url}/v1/objects/docs/aborted.bin`, { method: 'PUT', headers: { 'Content-Length': '3000', Authorization: `Bearer ${platform.adminToken}` } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1000, 3), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`${platform.url}/docs/aborted.bin`)).status).toBe(404);
    expect(filesUnder(join(platform.dataDir, 'buckets')).filter((file) => file.includes('aborted') || /(^|\/)tmp\//.test(file))).toEqual([]);
    expect((await fetch(`${platform.url}/health`)).status).toBe(200);
  });
});
