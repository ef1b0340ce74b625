import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AccessKeyStore, formatQiniuDate } from '@fopflow/auth';
import express, { NextFunction, Request, Response } from 'express';
import * as qiniu from 'qiniu';
import { GatewayError } from '../http/error.filter';
import { readRawBody } from '../http/raw-body';
import { anonymousIdentity, authenticate, authenticateDownload, claimedIdentity } from './caller';

const key = { accessKey: 'ak-test', secretKey: 'sk-test-secret', tier: 'paid' };
const keys = new AccessKeyStore([key]);
const mac = new qiniu.auth.digest.Mac(key.accessKey, key.secretKey);

/** A bare Express app with the gateway's settings: no body parser, errors as `{"code","error"}`. */
function gatewayLike(): express.Express {
  const app = express();
  app.post('/{*path}', (req, res, next) => {
    readRawBody(req)
      .then((body) => res.json({ accessKey: authenticate(req, body, keys).accessKey, identity: claimedIdentity(req, keys) }))
      .catch(next);
  });
  app.delete('/{*path}', (req, res) => {
    res.json({ accessKey: authenticate(req, Buffer.alloc(0), keys).accessKey });
  });
  app.get('/{*path}', (req, res) => {
    const who = req.headers.authorization ? authenticate(req, Buffer.alloc(0), keys) : authenticateDownload(req, keys);
    res.json({ accessKey: who.accessKey, identity: claimedIdentity(req, keys) });
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof GatewayError ? error.status : 500;
    res.status(status).json({ code: status, error: error.message });
  });
  return app;
}

/** The SDK's own HTTP client calls, which its typings declare callback-only. */
function viaSdk(send: (done: qiniu.callback) => void): Promise<{ status: number; data: { accessKey?: string; identity?: unknown } }> {
  return new Promise((resolve, reject) => {
    send((error, data, info: { status: number }) => (error ? reject(error) : resolve({ status: info.status, data })));
  });
}

describe('authenticating callers over real HTTP', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = gatewayLike().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts a pfop form post sent by the SDK with a QBox token', async () => {
    const url = `${base}/pfop/`;
    const form = 'bucket=b&key=k&fops=imageView2%2F2%2Fw%2F100';
    const answer = await viaSdk((done) => qiniu.rpc.postWithForm(url, form, qiniu.util.generateAccessToken(mac, url, form), done));
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ accessKey: 'ak-test', identity: { key: 'ip:127.0.0.1', tier: 'paid' } });
  });

  it('accepts SDK v2 requests (X-Qiniu-Date, non-default port) for POST and GET', async () => {
    const post = await viaSdk((done) => qiniu.rpc.postWithOptions(`${base}/v1/jobs?force=1`, 'bucket=b&key=k', { mac, headers: {} }, done));
    expect([post.status, post.data.accessKey]).toEqual([200, 'ak-test']);
    const get = await viaSdk((done) => qiniu.rpc.getWithOptions(`${base}/status/get/prefop?id=z0.1`, { mac, headers: {} }, done));
    expect([get.status, get.data.accessKey]).toEqual([200, 'ak-test']);
  });

  it('answers 401 naming the problem for a tampered body or a missing signature', async () => {
    const url = `${base}/pfop/`;
    const token = qiniu.util.generateAccessToken(mac, url, 'bucket=b&key=k');
    const tampered = await fetch(url, {
      method: 'POST',
      headers: { Authorization: token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'bucket=b&key=other',
    });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ code: 401, error: expect.stringMatching(/^QBox signature of access key 'ak-test' does not match/) });
    const unsigned = await fetch(url, { method: 'POST', body: 'x' });
    expect(await unsigned.json()).toEqual({ code: 401, error: expect.stringMatching(/^missing Authorization header/) });
  });

  it('binds signatures on /v1 routes to the operation: a captured QBox GET signature does not authorize DELETE', async () => {
    const url = `${base}/v1/objects/b/k`;
    const captured = qiniu.util.generateAccessToken(mac, url);
    expect((await fetch(url, { headers: { Authorization: captured } })).status).toBe(200);
    for (const target of [url, `${base}/V1/objects/b/k`]) {
      const replayed = await fetch(target, { method: 'DELETE', headers: { Authorization: qiniu.util.generateAccessToken(mac, target) } });
      expect(replayed.status).toBe(401);
      expect(await replayed.json()).toEqual({
        code: 401,
        error: 'QBox signatures are accepted only for GET and HEAD on /v1 routes: sign DELETE with the Qiniu scheme and X-Qiniu-Date',
      });
    }
    const undated = await fetch(url, { method: 'DELETE', headers: { Authorization: qiniu.util.generateAccessTokenV2(mac, url, 'DELETE', '') } });
    expect(await undated.json()).toEqual({ code: 401, error: expect.stringMatching(/^Qiniu signatures on \/v1 routes need a signed X-Qiniu-Date header/) });
    const date = formatQiniuDate();
    const dated = qiniu.util.generateAccessTokenV2(mac, url, 'DELETE', '', undefined, { 'X-Qiniu-Date': date });
    const deleted = await fetch(url, { method: 'DELETE', headers: { Authorization: dated, 'X-Qiniu-Date': date } });
    expect(await deleted.json()).toEqual({ accessKey: 'ak-test' });
  });

  it('verifies a private fop URL made by the SDK, and refuses it once changed or expired', async () => {
    const bucketManager = new qiniu.rs.BucketManager(mac, new qiniu.conf.Config());
    const deadline = Math.trunc(Date.now() / 1000) + 3600;
    const url = bucketManager.privateDownloadUrl(base, 'photos/cat.jpg?imageView2/2/w/100|imageInfo', deadline);
    const good = await fetch(url);
    expect(await good.json()).toEqual({ accessKey: 'ak-test', identity: { key: 'ip:127.0.0.1', tier: 'paid' } });
    const changed = await fetch(url.replace('w/100', 'w/200'));
    expect(changed.status).toBe(401);
    const expired = await fetch(bucketManager.privateDownloadUrl(base, 'photos/cat.jpg', 1_600_000_000));
    expect(await expired.json()).toEqual({ code: 401, error: 'download token expired at e=1600000000 (2020-09-13T12:26:40.000Z)' });
  });
});

describe('identities for limits', () => {
  const request = (headers: Record<string, string>, originalUrl = '/b/k') => ({ ip: '192.0.2.1', headers, originalUrl, socket: {} }) as unknown as Request;

  it('takes the tier of a configured key the request names, keyed by address either way', () => {
    expect(claimedIdentity(request({ authorization: 'Qiniu ak-test:forged' }), keys)).toEqual({ key: 'ip:192.0.2.1', tier: 'paid' });
    expect(claimedIdentity(request({}, '/b/k?e=1&token=ak-test%3Aforged'), keys)).toEqual({ key: 'ip:192.0.2.1', tier: 'paid' });
    expect(claimedIdentity(request({ authorization: 'QBox ak-nobody:x' }), keys)).toEqual({ key: 'ip:192.0.2.1', tier: 'anonymous' });
    expect(anonymousIdentity(request({ authorization: 'Qiniu ak-test:x' }))).toEqual({ key: 'ip:192.0.2.1', tier: 'anonymous' });
  });
});
