import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { waitFor } from '../support/ports';
import { Platform, startPlatform } from '../support/platform';
import { sdkCall, uploadConfig, uploadToken } from '../support/qiniu-sdk';

const AK = 'ak-resume-one';
const SK = 'sk-resume-one-secret';
const OTHER_AK = 'ak-resume-two';
const OTHER_SK = 'sk-resume-two-secret';
const MIB = 1024 * 1024;

type Answer = { respBody: Record<string, unknown>; respInfo: { statusCode: number } };

describe('resumable upload v2 driven by the official SDK', () => {
  let platform: Platform;
  let client: ApiClient;
  let dir: string;
  let bytes: Buffer;
  let path: string;

  const encodedKey = (key: string) => Buffer.from(key).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  const call = (method: string, route: string, token: string, body?: Buffer | string, type?: string) =>
    fetch(`${platform.url}${route}`, { method, body, headers: { Authorization: `UpToken ${token}`, ...(type && { 'Content-Type': type }) } });
  const resumePut = (token: string, key: string | null, extra: qiniu.resume_up.PutExtra) =>
    sdkCall((done) => new qiniu.resume_up.ResumeUploader(uploadConfig(platform.url)).putFile(token, key, path, extra, done)) as Promise<Answer>;
  const v2 = (params: Record<string, string> = {}) => new qiniu.resume_up.PutExtra('big.bin', params, 'application/octet-stream', undefined, undefined, MIB, 'v2');

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid` });
    client = new ApiClient(platform.url, AK, SK);
    dir = mkdtempSync(join(tmpdir(), 'fopflow-resume-'));
    bytes = randomBytes(Math.floor(2.5 * MIB));
    path = join(dir, 'big.bin');
    writeFileSync(path, bytes);
    expect((await client.call('PUT', '/v1/buckets/archive')).status).toBe(200);
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await platform?.stop();
  });

  it('uploads a file in 1 MiB parts, stores it whole and answers returnBody with x: variables', async () => {
    const token = uploadToken(AK, SK, { scope: 'archive', returnBody: '{"key":"$(key)","size":$(fsize),"tag":"$(x:tag)","hash":"$(etag)"}' });
    const answer = await resumePut(token, 'parts/big.bin', v2({ 'x:tag': 'v2' }));
    expect(answer.respInfo.statusCode).toBe(200);
    expect(answer.respBody).toMatchObject({ key: 'parts/big.bin', size: bytes.length, tag: 'v2' });
    const stat = await client.json<{ size: number; etag: string }>('GET', '/v1/objects/archive/parts/big.bin');
    expect(stat.body).toMatchObject({ size: bytes.length, etag: answer.respBody.hash });
    const read = await fetch(`${platform.url}/archive/parts/big.bin`);
    expect(Buffer.from(await read.arrayBuffer()).equals(bytes)).toBe(true);
    // Completed: nothing of its parts is left.
    expect(readdirSync(join(platform.dataDir, 'multipart'))).toEqual([]);
  });

  it('enforces fsizeLimit on the whole file at completion and stores nothing', async () => {
    const answer = await resumePut(uploadToken(AK, SK, { scope: 'archive', fsizeLimit: 2 * MIB }), 'too-big.bin', v2());
    expect(answer.respInfo.statusCode).toBe(413);
    expect((await client.call('GET', '/v1/objects/archive/too-big.bin')).status).toBe(404);
  });

  it('lists the parts of an upload, and an abort leaves no object and removes its parts', async () => {
    const token = uploadToken(AK, SK, { scope: 'archive' });
    const base = `/buckets/archive/objects/${encodedKey('aborted.bin')}/uploads`;
    const init = (await (await call('POST', base, token, '', 'application/json')).json()) as { uploadId: string; expireAt: number };
    expect(init.uploadId).toMatch(/^[0-9a-f]{32}$/);
    const part = await call('PUT', `${base}/${init.uploadId}/1`, token, bytes.subarray(0, MIB), 'application/octet-stream');
    expect(part.status).toBe(200);
    const { etag } = (await part.json()) as { etag: string };
    const listed = (await (await call('GET', `${base}/${init.uploadId}`, token)).json()) as { parts: Array<{ partNumber: number; etag: string; size: number }> };
    expect(listed.parts).toEqual([expect.objectContaining({ partNumber: 1, etag, size: MIB })]);
    expect(existsSync(join(platform.dataDir, 'multipart', init.uploadId))).toBe(true);

    expect((await call('DELETE', `${base}/${init.uploadId}`, token)).status).toBe(200);
    expect(existsSync(join(platform.dataDir, 'multipart', init.uploadId))).toBe(false);
    const completed = await call('POST', `${base}/${init.uploadId}`, token, JSON.stringify({ parts: [{ partNumber: 1, etag }] }), 'application/json');
    expect(completed.status).toBe(612);
    expect((await client.call('GET', '/v1/objects/archive/aborted.bin')).status).toBe(404);
  });

  it("refuses another key's token on A's upload (not its bucket), a token used on another bucket's URL, and a malformed token", async () => {
    const token = uploadToken(AK, SK, { scope: 'archive' });
    const base = `/buckets/archive/objects/${encodedKey('mine.bin')}/uploads`;
    const { uploadId } = (await (await call('POST', base, token, '', 'application/json')).json()) as { uploadId: string };
    const othersToken = uploadToken(OTHER_AK, OTHER_SK, { scope: 'archive' });
    // B may not write A's bucket at all, so B's token is refused before the upload is looked up.
    expect((await call('PUT', `${base}/${uploadId}/1`, othersToken, Buffer.alloc(10), 'application/octet-stream')).status).toBe(403);
    expect((await call('DELETE', `${base}/${uploadId}`, othersToken)).status).toBe(403);
    expect(existsSync(join(platform.dataDir, 'multipart', uploadId))).toBe(true);
    // A token for one bucket cannot be used on another bucket's URL.
    expect((await call('POST', `/buckets/other/objects/~/uploads`, token, '', 'application/json')).status).toBe(403);
    expect((await call('POST', base, 'not-a-token', '', 'application/json')).status).toBe(401);
  });

  it('runs persistentOps of a resumable upload as a job of the token key, reported by prefop', async () => {
    const photo = join(dir, 'photo.jpg');
    writeFileSync(photo, await makeJpeg(1600, 1200));
    const token = uploadToken(AK, SK, { scope: 'archive', persistentOps: 'imageInfo', returnBody: '{"pid":"$(persistentId)"}' });
    const extra = new qiniu.resume_up.PutExtra('photo.jpg', {}, 'image/jpeg', undefined, undefined, MIB, 'v2');
    const answer = (await sdkCall((done) => new qiniu.resume_up.ResumeUploader(uploadConfig(platform.url)).putFile(token, 'photo.jpg', photo, extra, done))) as Answer;
    expect(answer.respInfo.statusCode).toBe(200);
    const id = String(answer.respBody.pid);
    let status: { code: number; inputKey: string } | undefined;
    await waitFor('persistentOps to end', async () => {
      status = (await (await fetch(`${platform.url}/status/get/prefop?id=${id}`)).json()) as typeof status;
      return status!.code === 0 || status!.code === 3;
    });
    expect(status).toMatchObject({ code: 0, inputKey: 'photo.jpg' });
  });
});
