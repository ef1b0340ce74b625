import { chromium } from 'playwright-core';
import { z } from 'zod';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';

const AK = 'ak-openapi';
const SK = 'sk-openapi-secret';
const OTHER_AK = 'ak-openapi-other';
const OTHER_SK = 'sk-openapi-other-secret';
const CHROMIUM = '/usr/bin/chromium';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

describe('OpenAPI document and /docs', () => {
  let platform: Platform;
  let client: ApiClient;
  let other: ApiClient;
  let doc: OpenApiDocument;

  /**
   * Checks a real answer against the document's schema for its route, method and status: the
   * document's JSON Schema is turned back into a validator, so what is checked is the document.
   */
  function expectConforms(route: string, method: string, status: number, body: unknown): void {
    const response = doc.paths[route]?.[method]?.responses[String(status)];
    if (!response) throw new Error(`the document has no ${status} answer for ${method.toUpperCase()} ${route}`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the document gives no JSON body for ${status} of ${method.toUpperCase()} ${route}`);
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
    const root = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
    const result = z.fromJSONSchema({ ...root, $defs: defs }).safeParse(body);
    if (!result.success) throw new Error(`${method.toUpperCase()} ${route} ${status} does not match the document: ${JSON.stringify(result.error.issues)}\n${JSON.stringify(body)}`);
  }

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid` });
    client = new ApiClient(platform.url, AK, SK);
    other = new ApiClient(platform.url, OTHER_AK, OTHER_SK);
    const answer = await fetch(`${platform.url}/openapi.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await answer.json()) as OpenApiDocument;
  }, 60_000);

  afterAll(async () => {
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
