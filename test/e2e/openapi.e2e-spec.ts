import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { documentChecker, OpenApiDocument, registeredRoutes } from '../support/openapi-check';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { uploadToken } from '../support/qiniu-sdk';

const AK = 'ak-openapi';
const SK = 'sk-openapi-secret';
const OTHER_AK = 'ak-openapi-other';
const OTHER_SK = 'sk-openapi-other-secret';
const CHROMIUM = '/usr/bin/chromium';

describe('OpenAPI document and /docs', () => {
  let platform: Platform;
  let client: ApiClient;
  let other: ApiClient;
  let doc: OpenApiDocument;

  let expectConforms: ReturnType<typeof documentChecker>['expectConforms'];
  let expectAnswer: ReturnType<typeof documentChecker>['expectAnswer'];
  let checked: ReturnType<typeof documentChecker>['checked'];
  let work: string;

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid` });
    client = new ApiClient(platform.url, AK, SK);
    other = new ApiClient(platform.url, OTHER_AK, OTHER_SK);
    const answer = await fetch(`${platform.url}/openapi.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await answer.json()) as OpenApiDocument;
    ({ expectConforms, expectAnswer, checked } = documentChecker(doc));
    work = mkdtempSync(join(tmpdir(), 'fopflow-openapi-'));
  }, 60_000);

  afterAll(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    await platform?.stop();
  });

  it('is OpenAPI 3.1 with the request schemas the gateway validates with', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/{bucket}/{key}', '/v1/objects/{bucket}/{key}', '/v1/jobs', '/v1/jobs/batch', '/v1/jobs/{id}']));
    expect(doc.components.schemas.JobSubmission).toMatchObject({ type: 'object', required: ['source', 'fops'] });
    expect(doc.components.schemas.JobBatch).toMatchObject({ properties: { jobs: { minItems: 1, items: { $ref: '#/components/schemas/JobSubmission' } } } });
  });

  it('describes the real answers of uploads, fop URLs and async jobs, errors included', async () => {
    const upload = await client.upload('docs-media/photo.jpg', await makeJpeg(200, 150));
    expectConforms('/v1/objects/{bucket}/{key}', 'put', 200, JSON.parse(await upload.text()));
    const unsigned = await fetch(`${platform.url}/v1/objects/docs-media/x.jpg`, { method: 'PUT', body: 'x' });
    expectConforms('/v1/objects/{bucket}/{key}', 'put', unsigned.status, await unsigned.json());
    const othersBucket = await other.upload('docs-media/y.jpg', Buffer.from('y'));
    expectConforms('/v1/objects/{bucket}/{key}', 'put', othersBucket.status, JSON.parse(await othersBucket.text()));

    const badFop = await fetch(`${platform.url}/docs-media/photo.jpg?imageView2/9/w/10`);
    expect(badFop.status).toBe(400);
    expectConforms('/{bucket}/{key}', 'get', 400, await badFop.json());

    const submitted = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'docs-media', key: 'photo.jpg' }, fops: ['imageView2/2/w/50'] });
    expectConforms('/v1/jobs', 'post', submitted.status, submitted.body);
    const invalid = await client.json('POST', '/v1/jobs', { source: { bucket: 'docs-media' }, fops: [] });
    expect(invalid.status).toBe(400);
    expectConforms('/v1/jobs', 'post', 400, invalid.body);
    const batch = await client.json('POST', '/v1/jobs/batch', { jobs: [{ source: { bucket: 'docs-media', key: 'photo.jpg' }, fops: 'imageInfo' }] });
    expectConforms('/v1/jobs/batch', 'post', batch.status, batch.body);

    let status: { code: number } | undefined;
    await waitFor('the job to end', async () => {
      status = (await client.json<{ code: number }>('GET', `/v1/jobs/${submitted.body.id}`)).body;
      return status.code === 0;
    });
    expectConforms('/v1/jobs/{id}', 'get', 200, status);
    const list = await client.json('GET', '/v1/jobs?limit=5');
    expectConforms('/v1/jobs', 'get', list.status, list.body);
    const notYours = await other.json('GET', `/v1/jobs/${submitted.body.id}`);
    expect(notYours.status).toBeGreaterThanOrEqual(403);
    expectConforms('/v1/jobs/{id}', 'get', notYours.status, notYours.body);
  });

  it('has a path and method for every route the gateway registers', async () => {
    const routes = await registeredRoutes();
    // Read from the controllers themselves: a new route shows up here without being listed.
    expect(routes).toEqual(expect.arrayContaining([{ method: 'all', path: '/status/get/prefop', handler: 'QiniuController.prefop' }, expect.objectContaining({ method: 'put', path: '/buckets/{bucket}/objects/{encodedKey}/uploads/{uploadId}/{partNumber}' })]));
    const undocumented = routes.filter(({ method, path }) => (method === 'all' ? !(doc.paths[path]?.get && doc.paths[path]?.post) : !doc.paths[path]?.[method]));
    expect(undocumented).toEqual([]);
  });

  it('describes the real answers of buckets and objects', async () => {
    const bucket = '/v1/buckets/{bucket}';
    await expectAnswer(bucket, 'put', await client.call('PUT', '/v1/buckets/docs-objects', { private: false }), 200);
    const notBoolean = await expectAnswer<{ error: string }>(bucket, 'put', await client.call('PUT', '/v1/buckets/docs-objects', { private: 'yes' }), 400);
    expect(notBoolean.error).toBe('private must be true or false');
    await expectAnswer(bucket, 'put', await other.call('PUT', '/v1/buckets/docs-objects', { private: true }), 403);
    await expectAnswer(bucket, 'put', await client.call('PUT', '/v1/buckets/docs-objects', { separator: '-!', protected: false }), 200);
    await expectAnswer(bucket, 'put', await client.call('PUT', '/v1/buckets/docs-objects', { separator: '?' }), 400);

    const styles = '/v1/buckets/{bucket}/styles';
    const style = `${styles}/{name}`;
    expect(await expectAnswer(style, 'put', await client.call('PUT', '/v1/buckets/docs-objects/styles/thumb', { fops: 'imageView2/2/w/20' }), 200)).toEqual({ name: 'thumb', fops: 'imageView2/2/w/20' });
    await expectAnswer(style, 'put', await client.call('PUT', '/v1/buckets/docs-objects/styles/bad', { fops: 'imageView2/9' }), 400);
    await expectAnswer(style, 'put', await other.call('PUT', '/v1/buckets/docs-objects/styles/x', { fops: 'imageInfo' }), 403);
    const listed = await expectAnswer<{ items: Array<{ name: string }> }>(styles, 'get', await client.call('GET', '/v1/buckets/docs-objects/styles'), 200);
    expect(listed.items.map((item) => item.name)).toEqual(['thumb']);
    await expectAnswer(styles, 'get', await other.call('GET', '/v1/buckets/docs-objects/styles'), 403);
    await expectAnswer(style, 'delete', await client.call('DELETE', '/v1/buckets/docs-objects/styles/thumb'), 200);
    await expectAnswer(style, 'delete', await client.call('DELETE', '/v1/buckets/docs-objects/styles/thumb'), 404);
    const buckets = await expectAnswer<{ items: Array<{ name: string }> }>('/v1/buckets', 'get', await client.call('GET', '/v1/buckets'), 200);
    expect(buckets.items.map((item) => item.name)).toContain('docs-objects');

    const object = '/v1/objects/{bucket}/{key}';
    await expectAnswer(object, 'put', await client.upload('docs-objects/a/b.jpg', await makeJpeg(40, 30)), 200);
    await expectAnswer(object, 'get', await client.call('GET', '/v1/objects/docs-objects/a/b.jpg'), 200);
    const page = await expectAnswer<{ items: unknown[] }>('/v1/objects/{bucket}', 'get', await client.call('GET', '/v1/objects/docs-objects?prefix=a/&limit=10'), 200);
    expect(page.items).toHaveLength(1);
    await expectAnswer('/v1/objects/{bucket}', 'get', await client.call('GET', '/v1/objects/docs-objects?limit=0'), 400);
    await expectAnswer('/{bucket}/{key}', 'get', await fetch(`${platform.url}/docs-objects/a/b.jpg`), 200);
    const head = await fetch(`${platform.url}/docs-objects/a/b.jpg`, { method: 'HEAD' });
    expect(head.headers.get('content-type')).toBe('image/jpeg');
    await expectAnswer('/{bucket}/{key}', 'head', head, 200);
    await expectAnswer(object, 'delete', await client.call('DELETE', '/v1/objects/docs-objects/a/b.jpg'), 204);
    await expectAnswer(object, 'get', await client.call('GET', '/v1/objects/docs-objects/a/b.jpg'), 404);
  });

  it('describes the real answers of form and resumable uploads', async () => {
    expect((await client.call('PUT', '/v1/buckets/docs-uploads')).status).toBe(200);
    const token = uploadToken(AK, SK, { scope: 'docs-uploads' });
    const form = new FormData();
    form.set('token', token);
    form.set('key', 'form.jpg');
    form.set('file', new Blob([await makeJpeg(30, 20)]), 'form.jpg');
    const stored = await expectAnswer<{ key: string }>('/', 'post', await fetch(`${platform.url}/`, { method: 'POST', body: form }), 200);
    expect(stored.key).toBe('form.jpg');
    const noFile = new FormData();
    noFile.set('token', token);
    await expectAnswer('/', 'post', await fetch(`${platform.url}/`, { method: 'POST', body: noFile }), 400);

    const call = (method: string, path: string, body?: string | Buffer, type?: string) =>
      fetch(`${platform.url}${path}`, { method, body, headers: { Authorization: `UpToken ${token}`, ...(type && { 'Content-Type': type }) } });
    const base = `/buckets/docs-uploads/objects/${Buffer.from('big.bin').toString('base64')}/uploads`;
    const uploads = '/buckets/{bucket}/objects/{encodedKey}/uploads';
    const one = `${uploads}/{uploadId}`;
    const { uploadId } = await expectAnswer<{ uploadId: string }>(uploads, 'post', await call('POST', base), 200);
    const { etag } = await expectAnswer<{ etag: string }>(`${one}/{partNumber}`, 'put', await call('PUT', `${base}/${uploadId}/1`, Buffer.from('part one')), 200);
    await expectAnswer(`${one}/{partNumber}`, 'put', await call('PUT', `${base}/${uploadId}/0`, Buffer.from('x')), 400);
    await expectAnswer(one, 'get', await call('GET', `${base}/${uploadId}`), 200);
    const empty = await expectAnswer<{ error: string }>(one, 'post', await call('POST', `${base}/${uploadId}`, JSON.stringify({ parts: [] }), 'application/json'), 400);
    expect(empty.error).toBe('parts: a non-empty list of {partNumber, etag} is needed');
    const badPart = await expectAnswer<{ error: string }>(one, 'post', await call('POST', `${base}/${uploadId}`, JSON.stringify({ parts: [{ partNumber: '1', etag }] }), 'application/json'), 400);
    expect(badPart.error).toBe('parts[0]: needs a whole partNumber and a string etag');
    await expectAnswer(one, 'post', await call('POST', `${base}/${uploadId}`, JSON.stringify({ parts: [{ partNumber: 1, etag }], fname: 'big.bin' }), 'application/json'), 200);

    const { uploadId: dropped } = await expectAnswer<{ uploadId: string }>(uploads, 'post', await call('POST', base), 200);
    await expectAnswer(one, 'delete', await call('DELETE', `${base}/${dropped}`), 200);
    await expectAnswer(one, 'get', await call('GET', `${base}/${dropped}`), 612);
  });

  it("describes the real answers of Qiniu's pfop and prefop and of cancelling", async () => {
    const pfop = async (fields: Record<string, string>) => {
      const body = new URLSearchParams(fields).toString();
      return fetch(`${platform.url}/pfop`, { method: 'POST', body, headers: client.signedHeaders('POST', '/pfop', 'application/x-www-form-urlencoded', body) });
    };
    const { persistentId } = await expectAnswer<{ persistentId: string }>('/pfop', 'post', await pfop({ bucket: 'docs-media', key: 'photo.jpg', fops: 'imageView2/2/w/40' }), 200);
    const missing = await expectAnswer<{ error: string }>('/pfop', 'post', await pfop({ bucket: 'docs-media', fops: 'imageView2/2/w/40' }), 400);
    expect(missing.error).toBe('key is required');

    const prefop = '/status/get/prefop';
    await expectAnswer(prefop, 'get', await fetch(`${platform.url}${prefop}?id=${persistentId}`), 200);
    const posted = { method: 'POST', body: `id=${persistentId}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
    await expectAnswer(prefop, 'post', await fetch(`${platform.url}${prefop}`, posted), 200);
    await expectAnswer(prefop, 'get', await fetch(`${platform.url}${prefop}`), 400);
    await expectAnswer(prefop, 'get', await fetch(`${platform.url}${prefop}?id=no-such-id`), 612);

    const job = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'docs-media', key: 'photo.jpg' }, fops: ['imageView2/2/w/30'] });
    await expectAnswer('/v1/jobs/{id}', 'delete', await client.call('DELETE', `/v1/jobs/${job.body.id}`), 200);
  });

  it('describes the real answers of the operator routes: pools, instances, discovery', async () => {
    const post = (path: string, body: unknown) => platform.asOperator(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const pools = await expectAnswer<{ items: Array<{ name: string }> }>('/v1/pools', 'get', await platform.asOperator('/v1/pools'), 200);
    expect(pools.items.map((pool) => pool.name)).toContain('image');
    await expectAnswer('/v1/pools', 'get', await fetch(`${platform.url}/v1/pools`), 401);
    const resize = '/v1/pools/{pool}/resize';
    expect(await expectAnswer(resize, 'post', await post('/v1/pools/image/resize', { instances: 2 }), 201)).toEqual({ pinnedInstances: 2 });
    const tooMany = await expectAnswer<{ error: string }>(resize, 'post', await post('/v1/pools/image/resize', { instances: 999 }), 400);
    expect(tooMany.error).toMatch(/^instances must be a whole number from 0 to maxInstances \d+$/);
    await expectAnswer(resize, 'post', await post('/v1/pools/no-such-pool/resize', { instances: 1 }), 404);
    expect(await expectAnswer(resize, 'delete', await platform.asOperator('/v1/pools/image/resize', { method: 'DELETE' }), 200)).toEqual({});
    await expectAnswer('/v1/pools/{pool}/upgrade', 'post', await post('/v1/pools/image/upgrade', { version: 'bad version' }), 400);
    expect(await expectAnswer('/v1/pools/{pool}/upgrade', 'post', await post('/v1/pools/image/upgrade', { version: 'v2' }), 201)).toEqual({ version: 'v2' });
    const instances = await expectAnswer<{ items: unknown[] }>('/v1/instances', 'get', await platform.asOperator('/v1/instances'), 200);
    expect(instances.items.length).toBeGreaterThan(0);
    await expectAnswer('/v1/discovery', 'get', await platform.asOperator('/v1/discovery'), 200);
  });

  it('describes the real answers of custom commands, another key refused', async () => {
    const ufops = '/v1/ufops';
    const one = '/v1/ufops/{name}';
    await expectAnswer(ufops, 'post', await client.call('POST', ufops, { name: 'docs-shout', description: 'shouts' }), 201);
    await expectAnswer(ufops, 'post', await client.call('POST', ufops, { name: 'docs-x', bogus: 1 }), 400);
    const listed = await expectAnswer<{ items: Array<{ name: string }> }>(ufops, 'get', await client.call('GET', ufops), 200);
    expect(listed.items.map((item) => item.name)).toContain('docs-shout');
    await expectAnswer(one, 'get', await client.call('GET', '/v1/ufops/docs-shout'), 200);
    await expectAnswer(one, 'get', await other.call('GET', '/v1/ufops/docs-shout'), 404);

    const dir = join(work, 'docs-shout');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'ufop.yaml'), 'image: fopflow/node:20\nbuild_script:\n  - "true"\nrun: node server.js\n');
    writeFileSync(join(dir, 'server.js'), '');
    const tarball = execFileSync('tar', ['-cf', '-', '-C', dir, '.']);
    const upload = (body: Buffer) => fetch(`${platform.url}/v1/ufops/docs-shout/builds`, { method: 'POST', body, headers: client.signedHeaders('POST', '/v1/ufops/docs-shout/builds', 'application/octet-stream', undefined) });
    await expectAnswer(`${one}/builds`, 'post', await upload(Buffer.alloc(0)), 400);
    const { version } = await expectAnswer<{ version: string }>(`${one}/builds`, 'post', await upload(tarball), 202);
    await expectAnswer(`${one}/versions`, 'get', await client.call('GET', '/v1/ufops/docs-shout/versions'), 200);
    await expectAnswer(`${one}/versions/{version}/log`, 'get', await client.call('GET', `/v1/ufops/docs-shout/versions/${version}/log`), 200);
    await expectAnswer(`${one}/versions/{version}/log`, 'get', await client.call('GET', '/v1/ufops/docs-shout/versions/99/log'), 404);
    await expectAnswer(`${one}/logs`, 'get', await client.call('GET', '/v1/ufops/docs-shout/logs'), 200);
    await expectAnswer(`${one}/version`, 'put', await client.call('PUT', '/v1/ufops/docs-shout/version', {}), 400);
    await expectAnswer(`${one}/version`, 'put', await client.call('PUT', '/v1/ufops/docs-shout/version', { version }), 409);
    await expectAnswer(`${one}/upgrade`, 'post', await client.call('POST', '/v1/ufops/docs-shout/upgrade'), 409);
    const badSize = await expectAnswer<{ error: string }>(`${one}/resize`, 'post', await client.call('POST', '/v1/ufops/docs-shout/resize', { instances: 'x' }), 400);
    expect(badSize.error).toBe('give {"instances": 0-64} or {"auto": true, "maxInstances"?: 1-64}');
    await expectAnswer(`${one}/resize`, 'post', await other.call('POST', '/v1/ufops/docs-shout/resize', { instances: 1 }), 403);
    await expectAnswer(`${one}/resize`, 'post', await client.call('POST', '/v1/ufops/docs-shout/resize', { instances: 0 }), 201);
    const log = '/console/api/builds/{name}/{version}/log';
    await expectAnswer(log, 'get', await platform.asOperator(`/console/api/builds/docs-shout/${version}/log`), 200);
    await expectAnswer(log, 'get', await platform.asOperator('/console/api/builds/docs-shout/99/log'), 404);
    await expectAnswer(one, 'delete', await other.call('DELETE', '/v1/ufops/docs-shout'), 403);
    await expectAnswer(one, 'delete', await client.call('DELETE', '/v1/ufops/docs-shout'), 200);
  });

  it('describes the real answers of the console, health, readiness, metrics and itself', async () => {
    await expectAnswer('/console', 'get', await platform.asOperator('/console', { redirect: 'manual' }), 301);
    await expectAnswer('/console', 'get', await platform.asOperator('/console/'), 200);
    await expectAnswer('/console', 'get', await fetch(`${platform.url}/console/`), 401);
    await expectAnswer('/console/console.js', 'get', await platform.asOperator('/console/console.js'), 200);
    await expectAnswer('/console/api/overview', 'get', await platform.asOperator('/console/api/overview'), 200);
    await expectAnswer('/console/api/overview', 'get', await platform.asOperator('/console/api/overview?sinceS=0'), 400);
    await expectAnswer('/health', 'get', await fetch(`${platform.url}/health`), 200);
    await expectAnswer('/ready', 'get', await fetch(`${platform.url}/ready`), 200);
    expect(await expectAnswer('/metrics', 'get', await fetch(`${platform.url}/metrics`), 200)).toMatch(/^# HELP /m);
    await expectAnswer('/openapi.json', 'get', await fetch(`${platform.url}/openapi.json`), 200);
  });

  it('has checked a real answer of every route the gateway registers', async () => {
    const unchecked = (await registeredRoutes())
      .flatMap(({ method, path }) => (method === 'all' ? [`get ${path}`, `post ${path}`] : [`${method} ${path}`]))
      .filter((route) => !checked().has(route));
    expect(unchecked).toEqual([]);
  });

  it('refuses an answer that does not match: the check has teeth', () => {
    expect(() => expectConforms('/v1/jobs', 'post', 202, { id: 7 })).toThrow(/does not match/);
    expect(() => expectConforms('/v1/jobs/{id}', 'get', 200, { id: 'x', code: 9 })).toThrow(/does not match/);
  });

  it('serves an interactive page at /docs that renders the document', async () => {
    const page = await fetch(`${platform.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${platform.url}/docs/swagger-ui-bundle.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${platform.url}/docs/package.json`)).status).not.toBe(200);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage();
      await tab.goto(`${platform.url}/docs`);
      await tab.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
      expect(await tab.textContent('.swagger-ui .info .title')).toContain('Fopflow');
      await tab.waitForSelector('[data-path="/v1/jobs/batch"]', { timeout: 20_000 });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
