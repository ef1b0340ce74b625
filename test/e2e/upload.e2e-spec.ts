import sharp from 'sharp';
import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { ApiClient } from '../support/api-client';
import { makeJpeg, makePng } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { sdkCall, uploadConfig, uploadToken } from '../support/qiniu-sdk';
import { Receiver, startReceiver } from '../support/receiver';

const AK = 'ak-upload-one';
const SK = 'sk-upload-one-secret';
const OTHER_AK = 'ak-upload-two';
const OTHER_SK = 'sk-upload-two-secret';

type Answer = { respBody: Record<string, unknown>; respInfo: { statusCode: number } };

describe("Qiniu's upload API driven by the official SDK", () => {
  let platform: Platform;
  let client: ApiClient;
  let other: ApiClient;
  let form: qiniu.form_up.FormUploader;
  let dir: string;
  let jpeg: Buffer;
  let notify: Receiver;
  let callbackServer: Server;
  let callbackUrl: string;
  const callbacks: Array<{ body: string; authorization?: string; type?: string; path: string; host?: string }> = [];

  const put = (token: string, key: string | null, body: Buffer, extra?: qiniu.form_up.PutExtra) =>
    sdkCall((done) => form.put(token, key, body, extra ?? new qiniu.form_up.PutExtra(), done)) as Promise<Answer>;
  const tokenA = (policy: Record<string, unknown>) => uploadToken(AK, SK, policy);

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid`, FOPFLOW_ALLOWED_TARGETS: '127.0.0.1', FOPFLOW_UPLOAD_CORS_ORIGINS: 'http://app.example' });
    client = new ApiClient(platform.url, AK, SK);
    other = new ApiClient(platform.url, OTHER_AK, OTHER_SK);
    form = new qiniu.form_up.FormUploader(uploadConfig(platform.url));
    dir = mkdtempSync(join(tmpdir(), 'fopflow-upload-'));
    jpeg = await makeJpeg(320, 240);
    notify = await startReceiver();
    // A callback receiver that answers JSON, as an app server behind callbackUrl does.
    callbackServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        callbacks.push({ body, authorization: req.headers.authorization, type: req.headers['content-type'], path: req.url ?? '', host: req.headers.host });
        if (req.url?.startsWith('/fail')) res.writeHead(500).end('no');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true, got: body }));
      });
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as { port: number }).port}/callback`;
    expect((await client.call('PUT', '/v1/buckets/photos', { private: true })).status).toBe(200);
    expect((await other.call('PUT', '/v1/buckets/secret-b', { private: true })).status).toBe(200);
    expect((await other.call('PUT', '/v1/buckets/public-b')).status).toBe(200);
  });

  afterAll(async () => {
    await notify?.close();
    await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
    await platform?.stop();
  });

  it('stores a putFile upload and answers the default {key, hash}', async () => {
    const path = join(dir, 'cat.jpg');
    writeFileSync(path, jpeg);
    const answer = (await sdkCall((done) => form.putFile(tokenA({ scope: 'photos' }), 'cats/cat.jpg', path, null, done))) as Answer;
    expect(answer.respInfo.statusCode).toBe(200);
    expect(answer.respBody.key).toBe('cats/cat.jpg');
    const stat = await client.json<{ etag: string; size: number; mime: string }>('GET', '/v1/objects/photos/cats/cat.jpg');
    expect(stat.body).toMatchObject({ size: jpeg.length, etag: answer.respBody.hash, mime: 'image/jpeg' });
  });

  it('expands returnBody with $(key), $(hash), $(fsize), $(bucket), $(mimeType) and x: variables, and checks crc32', async () => {
    const returnBody = '{"key":"$(key)","hash":"$(hash)","fsize":$(fsize),"bucket":"$(bucket)","mime":"$(mimeType)","album":"$(x:album)","fname":"$(fname)"}';
    const extra = new qiniu.form_up.PutExtra('beach.jpg', { 'x:album': 'summer "24"' }, 'image/jpeg', undefined, true);
    const answer = await put(tokenA({ scope: 'photos', returnBody }), 'beach.jpg', jpeg, extra);
    expect(answer.respInfo.statusCode).toBe(200);
    expect(answer.respBody).toMatchObject({ key: 'beach.jpg', fsize: jpeg.length, bucket: 'photos', mime: 'image/jpeg', album: 'summer "24"', fname: 'beach.jpg' });
    expect(String(answer.respBody.hash)).toMatch(/^[A-Za-z0-9_-]{28}$/);
  });

  it('answers $(imageInfo) whole and by field, worked out by the imageInfo fop on the stored object', async () => {
    const returnBody = '{"key":"$(key)","info":$(imageInfo),"w":$(imageInfo.width),"format":"$(imageInfo.format)"}';
    const answer = await put(tokenA({ scope: 'photos', returnBody }), 'info.jpg', jpeg, new qiniu.form_up.PutExtra('info.jpg'));
    expect(answer.respInfo.statusCode).toBe(200);
    const { width, height } = await sharp(jpeg).metadata();
    expect(answer.respBody).toMatchObject({ key: 'info.jpg', info: { width, height, format: 'jpeg', size: jpeg.length }, w: width, format: 'jpeg' });
  });

  it('refuses a wrong crc32 with 406 and stores nothing', async () => {
    const extra = new qiniu.form_up.PutExtra('bad.jpg', {}, 'image/jpeg', '12345', true);
    const answer = await put(tokenA({ scope: 'photos' }), 'bad-crc.jpg', jpeg, extra);
    expect(answer.respInfo.statusCode).toBe(406);
    expect((await client.call('GET', '/v1/objects/photos/bad-crc.jpg')).status).toBe(404);
  });

  it('names the key from saveKey (forced over the uploader’s key with forceSaveKey)', async () => {
    const year = String(new Date().getUTCFullYear());
    const extra = new qiniu.form_up.PutExtra('pic.jpg');
    const saved = await put(tokenA({ scope: 'photos', saveKey: 'u/$(year)/$(etag)$(ext)', forceSaveKey: true }), 'ignored.jpg', jpeg, extra);
    expect(saved.respInfo.statusCode).toBe(200);
    expect(saved.respBody.key).toBe(`u/${year}/${saved.respBody.hash}.jpg`);
  });

  it('enforces fsizeLimit (413), fsizeMin (403), mimeLimit (403) and leaves nothing behind', async () => {
    expect((await put(tokenA({ scope: 'photos', fsizeLimit: 100 }), 'big.jpg', jpeg)).respInfo.statusCode).toBe(413);
    expect((await put(tokenA({ scope: 'photos', fsizeMin: jpeg.length + 1 }), 'small.jpg', jpeg)).respInfo.statusCode).toBe(403);
    const png = await makePng(16, 16);
    const refused = await put(tokenA({ scope: 'photos', mimeLimit: 'image/jpeg', detectMime: 1 }), 'p.png', png);
    expect(refused.respInfo.statusCode).toBe(403);
    expect(String(refused.respBody.error)).toMatch(/mimeLimit/);
    for (const key of ['big.jpg', 'small.jpg', 'p.png']) expect((await client.call('GET', `/v1/objects/photos/${key}`)).status).toBe(404);
    // The streamed file's staging copies are gone too.
    expect(readdirSync(join(platform.dataDir, 'form-uploads'))).toEqual([]);
  });

  it('refuses overwriting with insertOnly (614) and with a bucket-wide scope, but a bucket:key scope may overwrite', async () => {
    expect((await put(tokenA({ scope: 'photos' }), 'once.jpg', jpeg)).respInfo.statusCode).toBe(200);
    const png = await makePng(8, 8);
    expect((await put(tokenA({ scope: 'photos', insertOnly: 1 }), 'once.jpg', png)).respInfo.statusCode).toBe(614);
    expect((await put(tokenA({ scope: 'photos' }), 'once.jpg', png)).respInfo.statusCode).toBe(614);
    expect((await put(tokenA({ scope: 'photos:once.jpg' }), 'once.jpg', png)).respInfo.statusCode).toBe(200);
    expect((await client.json<{ size: number }>('GET', '/v1/objects/photos/once.jpg')).body.size).toBe(png.length);
  });

  it('refuses an expired token (401), a key outside the scope (403) and an unknown policy field (400)', async () => {
    // A negative lifetime makes the SDK write a deadline already passed.
    const expired = uploadToken(AK, SK, { scope: 'photos', expires: -10 });
    expect((await put(expired, 'late.jpg', jpeg)).respInfo.statusCode).toBe(401);
    expect((await put(tokenA({ scope: 'photos:only.jpg' }), 'other.jpg', jpeg)).respInfo.statusCode).toBe(403);
    expect((await put(tokenA({ scope: 'photos:img/', isPrefixalScope: 1 }), 'doc/x.jpg', jpeg)).respInfo.statusCode).toBe(403);
    expect((await put(tokenA({ scope: 'photos:img/', isPrefixalScope: 1 }), 'img/x.jpg', jpeg)).respInfo.statusCode).toBe(200);
    const unknown = await put(tokenA({ scope: 'photos', colour: 'red' }), 'c.jpg', jpeg);
    expect(unknown.respInfo.statusCode).toBe(400);
    expect(String(unknown.respBody.error)).toMatch(/unknown field 'colour'/);
  });

  it("refuses a token of key A naming key B's buckets, and a token of A's name signed with B's secret", async () => {
    expect((await put(tokenA({ scope: 'secret-b' }), 'planted.jpg', jpeg)).respInfo.statusCode).toBe(404);
    expect((await put(tokenA({ scope: 'public-b' }), 'planted.jpg', jpeg)).respInfo.statusCode).toBe(403);
    expect((await put(uploadToken(AK, OTHER_SK, { scope: 'photos' }), 'forged.jpg', jpeg)).respInfo.statusCode).toBe(401);
    expect((await put(tokenA({ scope: 'fopflow-ufop' }), 'sys.jpg', jpeg)).respInfo.statusCode).toBeGreaterThanOrEqual(403);
    expect((await other.call('GET', '/v1/objects/public-b/planted.jpg')).status).toBe(404);
    expect((await other.call('GET', '/v1/objects/secret-b/planted.jpg')).status).toBe(404);
  });

  it('runs persistentOps as an async job of the token key, notifies persistentNotifyUrl, and prefop reports it', async () => {
    const answer = await put(
      tokenA({ scope: 'photos', persistentOps: 'imageView2/2/w/100;imageInfo', persistentNotifyUrl: notify.url, returnBody: '{"key":"$(key)","pid":"$(persistentId)"}' }),
      'ops.jpg',
      jpeg,
    );
    expect(answer.respInfo.statusCode).toBe(200);
    const id = String(answer.respBody.pid);
    expect(id).toMatch(/^z0\./);
    let status: { code: number; items: Array<{ code: number; key?: string }>; inputKey: string } | undefined;
    await waitFor('persistentOps to end', async () => {
      status = (await (await fetch(`${platform.url}/status/get/prefop?id=${id}`)).json()) as typeof status;
      return status!.code === 0 || status!.code === 3;
    });
    expect(status!.code).toBe(0);
    expect(status!.inputKey).toBe('ops.jpg');
    expect(status!.items.map((item) => item.code)).toEqual([0, 0]);
    const [delivered] = await notify.waitFor(1);
    expect(JSON.parse(delivered.body).id).toBe(id);
    // The job is A's: B cannot read its status through the signed API.
    expect((await other.call('GET', `/v1/jobs/${id}`)).status).toBe(404);
  });

  it('POSTs the signed callbackBody after storing and answers the callback’s JSON; a failing callback answers 579', async () => {
    const policy = { scope: 'photos', callbackUrl, callbackBody: 'key=$(key)&hash=$(etag)&size=$(fsize)&name=$(x:name)' };
    const extra = new qiniu.form_up.PutExtra('cb.jpg', { 'x:name': 'a b&c' });
    const answer = await put(tokenA(policy), 'cb.jpg', jpeg, extra);
    expect(answer.respInfo.statusCode).toBe(200);
    expect(answer.respBody.accepted).toBe(true);
    const got = callbacks[callbacks.length - 1];
    expect(new URLSearchParams(got.body).get('name')).toBe('a b&c');
    expect(new URLSearchParams(got.body).get('key')).toBe('cb.jpg');
    const mac = new qiniu.auth.digest.Mac(AK, SK);
    expect(qiniu.util.isQiniuCallback(mac, new URL(got.path, callbackUrl).toString(), got.body, got.authorization!)).toBe(true);

    expect(got.host).toBe(new URL(callbackUrl).host);

    // callbackHost names the virtual host; the request still goes to the callbackUrl's address.
    const hosted = await put(tokenA({ ...policy, callbackHost: 'app.example:8443' }), 'cb-host.jpg', jpeg, extra);
    expect(hosted.respInfo.statusCode).toBe(200);
    expect(callbacks[callbacks.length - 1]).toMatchObject({ host: 'app.example:8443', path: new URL(callbackUrl).pathname });
    const badHost = await put(tokenA({ ...policy, callbackHost: 'a b/c' }), 'cb-badhost.jpg', jpeg, extra);
    expect(badHost.respInfo.statusCode).toBe(400);
    expect(String(badHost.respBody.error)).toMatch(/callbackHost/);

    const failing = await put(tokenA({ ...policy, callbackUrl: callbackUrl.replace('/callback', '/fail') }), 'cb-fail.jpg', jpeg, extra);
    expect(failing.respInfo.statusCode).toBe(579);
    expect(String(failing.respBody.error)).toMatch(/callback failed/);
  });

  it('refuses persistentOps it could not run, or that write into another key\'s bucket, before storing anything', async () => {
    const bad = await put(tokenA({ scope: 'photos', persistentOps: 'noSuchCommand/1' }), 'bad-ops.jpg', jpeg);
    expect(bad.respInfo.statusCode).toBe(400);
    const saveas = Buffer.from('secret-b:stolen.jpg').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const planted = await put(tokenA({ scope: 'photos', persistentOps: `imageView2/2/w/50|saveas/${saveas}` }), 'plant-ops.jpg', jpeg);
    expect(planted.respInfo.statusCode).toBe(404);
    for (const key of ['bad-ops.jpg', 'plant-ops.jpg']) expect((await client.call('GET', `/v1/objects/photos/${key}`)).status).toBe(404);
  });

  it('lets a browser upload with fetch + FormData from an allowed origin, after a CORS preflight', async () => {
    const preflight = await fetch(`${platform.url}/`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const refused = await fetch(`${platform.url}/buckets/photos/objects/~/uploads`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const body = new FormData();
    body.set('token', tokenA({ scope: 'photos', returnBody: '{"key":"$(key)","size":$(fsize)}' }));
    body.set('key', 'browser.jpg');
    body.set('file', new Blob([jpeg], { type: 'image/jpeg' }), 'browser.jpg');
    const answer = await fetch(`${platform.url}/`, { method: 'POST', body, headers: { Origin: 'http://app.example' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(await answer.json()).toEqual({ key: 'browser.jpg', size: jpeg.length });
  });

  it('answers a form without a token, without a file, or not multipart with 4xx JSON naming it', async () => {
    const noToken = new FormData();
    noToken.set('file', new Blob([jpeg]), 'x.jpg');
    const a = await fetch(`${platform.url}/`, { method: 'POST', body: noToken });
    expect(a.status).toBe(401);
    expect(((await a.json()) as { error: string }).error).toMatch(/token not specified/);
    const noFile = new FormData();
    noFile.set('token', tokenA({ scope: 'photos' }));
    const b = await fetch(`${platform.url}/`, { method: 'POST', body: noFile });
    expect(b.status).toBe(400);
    expect(((await b.json()) as { error: string }).error).toMatch(/file not specified/);
    const c = await fetch(`${platform.url}/`, { method: 'POST', body: 'token=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(c.status).toBe(400);
    const d = await fetch(`${platform.url}/`, { method: 'POST', body: '--x\r\nbroken', headers: { 'Content-Type': 'multipart/form-data; boundary=x' } });
    expect(d.status).toBe(400);
  });

  it('fopctl token makes a token the SDK uploads with, and fopctl upload form-uploads a file', async () => {
    const fopctl = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(__dirname, '../../dist/apps/cli/src/main.js'), ...args], {
        env: { ...process.env, FOPFLOW_URL: platform.url, FOPFLOW_ACCESS_KEY: AK, FOPFLOW_SECRET_KEY: SK, FOPFLOW_ADMIN_TOKEN: '' },
      });
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ scope: 'photos', returnBody: '{"key":"$(key)","size":$(fsize)}' }));
    const token = (await fopctl('token', policyFile)).stdout.trim();
    const answer = await put(token, 'by-token.jpg', jpeg);
    expect(answer.respInfo.statusCode).toBe(200);
    expect(answer.respBody).toEqual({ key: 'by-token.jpg', size: jpeg.length });

    const file = join(dir, 'cli.jpg');
    writeFileSync(file, jpeg);
    const uploaded = JSON.parse((await fopctl('upload', file, 'photos:cli/cli.jpg', '--policy', policyFile)).stdout);
    expect(uploaded).toEqual({ key: 'cli/cli.jpg', size: jpeg.length });
    expect((await client.call('GET', '/v1/objects/photos/cli/cli.jpg')).status).toBe(200);
  });

  it('sends a form upload with returnUrl on with 303 and the return body in upload_ret', async () => {
    const body = new FormData();
    body.set('token', tokenA({ scope: 'photos', returnUrl: 'http://app.example/done?from=upload', returnBody: '{"key":"$(key)"}' }));
    body.set('key', 'returned.jpg');
    body.set('file', new Blob([jpeg], { type: 'image/jpeg' }), 'returned.jpg');
    const answer = await fetch(`${platform.url}/`, { method: 'POST', body, redirect: 'manual' });
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://app.example/done');
    expect(location.searchParams.get('from')).toBe('upload');
    expect(JSON.parse(Buffer.from(location.searchParams.get('upload_ret')!, 'base64url').toString())).toEqual({ key: 'returned.jpg' });
  });
});
