import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AccessKeyStore } from '@fopflow/auth';
import express from 'express';
import { bodyGuardMiddleware, BodyGuardOptions, bodyLimitOf, bodyRule } from './body-guard.middleware';

const OPTIONS: BodyGuardOptions = {
  keys: new AccessKeyStore([{ accessKey: 'ak-known', secretKey: 'sk-known', tier: 'paid' }]),
  adminToken: 'admin-token',
  maxSignedBodyBytes: 1000,
  maxBatchBodyBytes: 8000,
  maxUploadBytes: 50_000,
  maxUfopUploadBytes: 20_000,
};

describe('bodyRule', () => {
  it.each([
    ['PUT', '/v1/objects/b/k/deep.jpg', 50_000, 'maxUploadBytes', true],
    ['POST', '/v1/ufops/mine/builds', 20_000, 'MAX_UFOP_UPLOAD_BYTES', true],
    ['POST', '/v1/jobs/batch', 8000, 'maxBatchBodyBytes', true],
    ['POST', '/v1/jobs', 1000, 'maxSignedBodyBytes', true],
    ['POST', '/pfop/', 1000, 'maxSignedBodyBytes', true],
    ['PUT', '/v1/buckets/b', 1000, 'maxSignedBodyBytes', true],
    ['POST', '/status/get/prefop', 1000, 'maxSignedBodyBytes', false],
    ['GET', '/bucket/key.jpg', 1000, 'maxSignedBodyBytes', false],
  ])('%s %s: at most %d bytes (%s), credential first: %s', (method, path, maxBytes, limitName, credentials) => {
    expect(bodyRule(method, path, OPTIONS)).toEqual({ maxBytes, limitName, credentials });
  });
});

describe('bodyGuardMiddleware', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(bodyGuardMiddleware(OPTIONS));
    // Reads nothing: answers with the limit the guard chose, so a passed request is visible.
    app.all('/{*path}', (req, res) => {
      res.json({ passed: true, limit: bodyLimitOf(req) ?? null });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { method: 'POST', body, headers });

  it.each([
    ['no Authorization', {}, /needs Authorization/],
    ['a malformed one', { Authorization: 'QBox' }, /malformed/],
    ['an unknown access key', { Authorization: 'QBox ak-unknown:c2ln' }, /unknown access key 'ak-unknown'/],
    ['a wrong admin token', { Authorization: 'Bearer wrong' }, /malformed/],
  ])('refuses a body with %s: 401, connection closed', async (_name, headers, problem) => {
    const answer = await post('/v1/jobs', '{}', headers);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toMatchObject({ code: 401, error: expect.stringMatching(problem) });
  });

  it('refuses a declared length over the route limit with 413 naming it', async () => {
    const answer = await post('/v1/jobs', 'x'.repeat(1001), { Authorization: 'QBox ak-known:c2ln' });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ code: 413, error: 'body of 1001 bytes is over maxSignedBodyBytes 1000' });
  });

  it.each([
    ['a known access key', 'QBox ak-known:c2ln'],
    ['a v2 signature of a known key', 'Qiniu ak-known:c2ln'],
    ['the admin token', 'Bearer admin-token'],
  ])('lets a body within the limit through with %s, recording the limit', async (_name, authorization) => {
    const answer = await post('/v1/jobs', '{}', { Authorization: authorization });
    expect(await answer.json()).toEqual({ passed: true, limit: 1000 });
  });

  it('leaves requests without a body alone', async () => {
    const answer = await fetch(`${url}/v1/jobs`);
    expect(await answer.json()).toEqual({ passed: true, limit: null });
  });

  it('bounds but does not ask credentials of an unsigned route', async () => {
    const answer = await post('/status/get/prefop', 'id=z0.abc');
    expect(await answer.json()).toEqual({ passed: true, limit: 1000 });
  });
});
