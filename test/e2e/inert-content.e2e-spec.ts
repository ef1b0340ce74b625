import qiniu from 'qiniu';
import { ApiClient } from '../support/api-client';
import { makePng } from '../support/media';
import { Platform, startPlatform } from '../support/platform';

const OWNER = { ak: 'ak-owner', sk: 'sk-owner-secret' };

const HTML = '<!doctype html><html><body><script>document.title = document.cookie</script></body></html>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.domain)</script><rect width="10" height="10"/></svg>';

/** What makes a browser run an answer: the headers this suite is about. */
function safetyHeaders(answer: Response) {
  return {
    type: answer.headers.get('content-type'),
    nosniff: answer.headers.get('x-content-type-options'),
    disposition: answer.headers.get('content-disposition'),
    csp: answer.headers.get('content-security-policy'),
    cacheControl: answer.headers.get('cache-control'),
  };
}

describe('served content is inert', () => {
  let platform: Platform;
  let owner: ApiClient;
  let owners: qiniu.rs.BucketManager;
  const deadline = () => Math.trunc(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${OWNER.ak}:${OWNER.sk}:paid` });
    owner = new ApiClient(platform.url, OWNER.ak, OWNER.sk);
    owners = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(OWNER.ak, OWNER.sk), new qiniu.conf.Config());
    expect((await owner.upload('site/page.html', HTML, 'text/html; charset=utf-8')).status).toBe(200);
    expect((await owner.upload('site/logo.svg', SVG, 'image/svg+xml')).status).toBe(200);
    expect((await owner.upload('site/photo.png', await makePng(64, 48), 'image/png')).status).toBe(200);
    expect((await owner.call('PUT', '/v1/buckets/vault', { private: true })).status).toBe(200);
    expect((await owner.upload('vault/photo.png', await makePng(64, 48), 'image/png')).status).toBe(200);
  });

  afterAll(() => platform?.stop());

  it('serves an uploaded HTML page as a sandboxed download with nosniff, never as a live page', async () => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await fetch(`${platform.url}/site/page.html`, { method });
      expect(answer.status).toBe(200);
      expect(safetyHeaders(answer)).toMatchObject({
        type: expect.stringMatching(/^text\/html/),
        nosniff: 'nosniff',
        disposition: 'attachment',
        csp: expect.stringMatching(/^sandbox\b/),
      });
    }
    // The bytes are still the user's, unchanged.
    expect(await (await fetch(`${platform.url}/site/page.html`)).text()).toBe(HTML);
  });

  it('serves an SVG (which can carry script) the same way', async () => {
    const answer = await fetch(`${platform.url}/site/logo.svg`);
    expect(answer.status).toBe(200);
    expect(safetyHeaders(answer)).toMatchObject({ type: 'image/svg+xml', nosniff: 'nosniff', disposition: 'attachment', csp: expect.stringMatching(/^sandbox\b/) });
    expect(await answer.text()).toBe(SVG);
  });

  it('leaves passive images inline, with nosniff, and public results shared and immutable', async () => {
    const raw = await fetch(`${platform.url}/site/photo.png`);
    expect(raw.status).toBe(200);
    expect(safetyHeaders(raw)).toMatchObject({ type: 'image/png', nosniff: 'nosniff', disposition: null, csp: null });

    const result = await fetch(`${platform.url}/site/photo.png?imageView2/2/w/32`);
    expect(result.status).toBe(200);
    expect(safetyHeaders(result)).toMatchObject({ nosniff: 'nosniff', disposition: null, cacheControl: expect.stringMatching(/^public, max-age=\d+, immutable$/) });
  });

  it('answers nosniff on errors too', async () => {
    const missing = await fetch(`${platform.url}/site/none.html`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("keeps a private bucket's objects and fop results out of shared caches", async () => {
    const anonymous = await fetch(`${platform.url}/vault/photo.png?imageView2/2/w/32`);
    expect(anonymous.status).toBe(401);

    const result = await fetch(owners.privateDownloadUrl(platform.url, 'vault/photo.png?imageView2/2/w/32', deadline()));
    expect(result.status).toBe(200);
    const resultHeaders = safetyHeaders(result);
    expect(resultHeaders).toMatchObject({ nosniff: 'nosniff', cacheControl: expect.stringMatching(/^private, max-age=\d+$/) });
    expect(resultHeaders.cacheControl).not.toMatch(/public|immutable/);

    // A second read is a cache hit on the platform's side; it must not turn public.
    const again = await fetch(owners.privateDownloadUrl(platform.url, 'vault/photo.png?imageView2/2/w/32', deadline()));
    expect(again.headers.get('x-fop-cache')).toBe('HIT');
    expect(again.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);

    const raw = await fetch(owners.privateDownloadUrl(platform.url, 'vault/photo.png', deadline()));
    expect(raw.status).toBe(200);
    expect(safetyHeaders(raw)).toMatchObject({ nosniff: 'nosniff', cacheControl: expect.stringMatching(/^private, max-age=\d+$/) });
  });
});
