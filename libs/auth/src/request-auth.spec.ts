import * as qiniu from 'qiniu';
import { AccessKeyStore } from './access-keys';
import { AuthError, canonicalMimeHeaderKey, formatQiniuDate, qiniuAuthHeaders, SignedRequest, signRequest, verifyRequestSignature, VerifyOptions } from './request-auth';

const key = { accessKey: 'ak-test', secretKey: 'sk-test-secret', tier: 'paid' };
const other = { accessKey: 'ak-other', secretKey: 'sk-other-secret', tier: 'free' };
const keys = new AccessKeyStore([key, other]);
const mac = new qiniu.auth.digest.Mac(key.accessKey, key.secretKey);
const FORM = 'application/x-www-form-urlencoded';

/** The request as a Node server would see it: lowercase header names, raw target, Host with its port. */
function received(url: string, init: { method?: string; contentType?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): SignedRequest {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  return { method: init.method ?? 'GET', path: u.pathname + u.search, host: u.host, headers, body: Buffer.from(init.body ?? '') };
}

function withAuth(request: SignedRequest, authorization: string): SignedRequest {
  return { ...request, headers: { ...request.headers, authorization } };
}

function rejection(request: SignedRequest, nowMs?: number, options: VerifyOptions = {}): AuthError {
  try {
    verifyRequestSignature(request, keys, { nowMs, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(401);
    return error as AuthError;
  }
  throw new Error('request was accepted');
}

describe('QBox signatures (util.generateAccessToken)', () => {
  const url = 'http://api.example.com/pfop/';
  const form = 'bucket=photos&key=cat.jpg&fops=avthumb%2Fmp4&notifyURL=';

  it('accepts a form post signed as the SDK signs pfop, body included', () => {
    const request = withAuth(received(url, { method: 'POST', contentType: FORM, body: form }), qiniu.util.generateAccessToken(mac, url, form));
    expect(verifyRequestSignature(request, keys)).toBe(key);
  });

  it('accepts a query-only request and a JSON body with or without it in the sign', () => {
    const status = 'http://api.example.com/status/get/prefop?id=z0.abc';
    expect(verifyRequestSignature(withAuth(received(status), qiniu.util.generateAccessToken(mac, status)), keys)).toBe(key);
    const json = received(url, { method: 'POST', contentType: 'application/json', body: '{"a":1}' });
    expect(verifyRequestSignature(withAuth(json, qiniu.util.generateAccessToken(mac, url)), keys)).toBe(key);
    expect(verifyRequestSignature(withAuth(json, qiniu.util.generateAccessToken(mac, url, '{"a":1}')), keys)).toBe(key);
  });

  it('refuses a changed body, path, host-independent AK or a form body left out of the sign', () => {
    const auth = qiniu.util.generateAccessToken(mac, url, form);
    expect(rejection(withAuth(received(url, { method: 'POST', contentType: FORM, body: form + 'x' }), auth)).message).toMatch(
      /QBox signature of access key 'ak-test' does not match.*"\/pfop\/\\n" \+ body/,
    );
    expect(rejection(withAuth(received('http://api.example.com/pfop/x', { method: 'POST', contentType: FORM, body: form }), auth)).message).toMatch(/does not match/);
    const unsignedForm = qiniu.util.generateAccessToken(mac, url);
    expect(rejection(withAuth(received(url, { method: 'POST', contentType: FORM, body: form }), unsignedForm)).message).toMatch(/does not match/);
    const otherMac = new qiniu.auth.digest.Mac(other.accessKey, key.secretKey);
    expect(rejection(withAuth(received(url, { method: 'POST', contentType: FORM, body: form }), qiniu.util.generateAccessToken(otherMac, url, form))).message).toMatch(
      /access key 'ak-other' does not match/,
    );
  });

  it('matches what signRequest makes for our own clients', () => {
    const request = received(url, { method: 'POST', contentType: FORM, body: form });
    expect(signRequest(request, key, 'QBox')).toBe(qiniu.util.generateAccessToken(mac, url, form));
    expect(verifyRequestSignature(withAuth(request, signRequest(request, key, 'QBox')), keys)).toBe(key);
  });
});

describe('Qiniu signatures (util.generateAccessTokenV2)', () => {
  const date = '20240102T030405Z';
  const nowMs = Date.UTC(2024, 0, 2, 3, 4, 5);
  const sdkHeaders = { 'X-Qiniu-Date': date, 'x-qiniu-zeta': 'z', 'X-QINIU-alpha': 'a', 'X-Qiniu-': 'ignored', 'X-Other': 'o' };

  it.each([
    ['a form post without a port', 'http://api.example.com/pfop/', 'POST', FORM, 'bucket=b&key=k&fops=imageInfo'],
    ['a JSON post to a non-default port (the SDK signs the port twice)', 'http://127.0.0.1:8080/v1/jobs?x=1&y=2', 'POST', 'application/json', '{"fops":"imageInfo"}'],
    ['a GET with a query', 'https://api.example.com:8443/status/get/prefop?id=z0.1', 'GET', FORM, ''],
    ['a body in octet-stream, which is not signed', 'http://api.example.com/v1/objects/b/k', 'PUT', 'application/octet-stream', 'raw bytes'],
  ])('accepts %s', (_, url, method, contentType, body) => {
    const auth = qiniu.util.generateAccessTokenV2(mac, url, method, contentType, body, sdkHeaders);
    const request = withAuth(received(url, { method, contentType, body, headers: sdkHeaders }), auth);
    expect(verifyRequestSignature(request, keys, { nowMs })).toBe(key);
  });

  it("accepts the Node SDK's doubled port although our own clients sign the Host header as sent", () => {
    const url = 'http://127.0.0.1:8080/v1/jobs';
    const sdk = qiniu.util.generateAccessTokenV2(mac, url, 'GET', FORM);
    const request = received(url);
    expect(signRequest(request, key)).not.toBe(sdk);
    expect(verifyRequestSignature(withAuth(request, sdk), keys)).toBe(key);
    expect(verifyRequestSignature(withAuth(request, signRequest(request, key)), keys)).toBe(key);
  });

  it('signs a missing Content-Type as the form type, as the SDK does', () => {
    const url = 'http://api.example.com/buckets';
    const auth = qiniu.util.generateAccessTokenV2(mac, url, 'GET', undefined as unknown as string);
    expect(verifyRequestSignature(withAuth(received(url), auth), keys)).toBe(key);
  });

  it('matches what signRequest makes, and the octet-stream body stays unsigned', () => {
    const url = 'http://api.example.com/v1/objects/b/k?x';
    const request = received(url, { method: 'PUT', contentType: 'application/octet-stream', body: 'one', headers: sdkHeaders });
    const auth = signRequest(request, key);
    expect(auth).toBe(qiniu.util.generateAccessTokenV2(mac, url, 'PUT', 'application/octet-stream', 'one', sdkHeaders));
    expect(verifyRequestSignature(withAuth({ ...request, body: Buffer.from('two') }, auth), keys, { nowMs })).toBe(key);
  });

  describe('refuses tampering', () => {
    const url = 'http://127.0.0.1:8080/pfop/?force=1';
    const body = 'bucket=b&key=k&fops=imageInfo';
    const auth = qiniu.util.generateAccessTokenV2(mac, url, 'POST', FORM, body, sdkHeaders);
    const good = withAuth(received(url, { method: 'POST', contentType: FORM, body, headers: sdkHeaders }), auth);

    it.each<[string, SignedRequest]>([
      ['body', { ...good, body: Buffer.from(body + '&x=1') }],
      ['path', { ...good, path: '/pfop/?force=0' }],
      ['host', { ...good, host: '127.0.0.1:8081' }],
      ['method', { ...good, method: 'PUT' }],
      ['content type', { ...good, headers: { ...good.headers, 'content-type': 'application/json' } }],
      ['X-Qiniu header', { ...good, headers: { ...good.headers, 'x-qiniu-zeta': 'zz' } }],
      ['added X-Qiniu header', { ...good, headers: { ...good.headers, 'x-qiniu-new': '1' } }],
    ])('a changed %s', (_, request) => {
      expect(rejection(request, nowMs).message).toMatch(/^Qiniu signature of access key 'ak-test' does not match: expected HMAC-SHA1 of "(POST|PUT) \/pfop\/\?force=/);
    });

    it('a changed access key, unknown or another one', () => {
      expect(rejection(withAuth(good, auth.replace('ak-test', 'ak-nobody')), nowMs).message).toBe("unknown access key 'ak-nobody'");
      expect(rejection(withAuth(good, auth.replace('ak-test', 'ak-other')), nowMs).message).toMatch(/access key 'ak-other' does not match/);
    });

    it('a stale X-Qiniu-Date, or a malformed one', () => {
      expect(verifyRequestSignature(good, keys, { nowMs: nowMs + 14 * 60_000 })).toBe(key);
      expect(rejection(good, nowMs + 16 * 60_000).message).toMatch(/X-Qiniu-Date 20240102T030405Z is 960 s away from the server clock; at most 900 s/);
      const headers = { ...sdkHeaders, 'X-Qiniu-Date': 'yesterday' };
      const odd = withAuth(received(url, { method: 'POST', contentType: FORM, body, headers }), qiniu.util.generateAccessTokenV2(mac, url, 'POST', FORM, body, headers));
      expect(rejection(odd, nowMs).message).toMatch(/malformed X-Qiniu-Date 'yesterday'/);
    });
  });
});

describe('operation-bound signatures (Fopflow REST routes)', () => {
  const bound: VerifyOptions = { operationBoundIn: '/v1 routes' };
  const url = 'http://127.0.0.1:8080/v1/objects/photos/cat.jpg';
  const captured = qiniu.util.generateAccessToken(mac, url);
  const nowMs = Date.UTC(2024, 0, 2, 3, 4, 5);

  it('accepts a QBox signature for GET and HEAD', () => {
    expect(verifyRequestSignature(withAuth(received(url), captured), keys, bound)).toBe(key);
    expect(verifyRequestSignature(withAuth(received(url, { method: 'head' }), captured), keys, bound)).toBe(key);
  });

  it.each(['DELETE', 'PUT', 'POST', 'PATCH'])('refuses a valid QBox signature for %s, naming the scheme to use', (method) => {
    const replayed = withAuth(received(url, { method }), captured);
    expect(verifyRequestSignature(replayed, keys)).toBe(key); // what the Qiniu-compatible routes keep accepting
    expect(rejection(replayed, undefined, bound).message).toBe(
      `QBox signatures are accepted only for GET and HEAD on /v1 routes: sign ${method} with the Qiniu scheme and X-Qiniu-Date`,
    );
  });

  it('refuses a Qiniu signature without X-Qiniu-Date, and accepts it with a fresh one', () => {
    const undated = received(url, { method: 'DELETE' });
    const unsigned = withAuth(undated, signRequest(undated, key));
    expect(verifyRequestSignature(unsigned, keys)).toBe(key);
    expect(rejection(unsigned, nowMs, bound).message).toBe(
      'Qiniu signatures on /v1 routes need a signed X-Qiniu-Date header (YYYYMMDDTHHmmssZ, within 900 s of the server clock)',
    );
    const dated = received(url, { method: 'DELETE', headers: { 'X-Qiniu-Date': formatQiniuDate(nowMs) } });
    expect(verifyRequestSignature(withAuth(dated, signRequest(dated, key)), keys, { ...bound, nowMs })).toBe(key);
    expect(rejection(withAuth(dated, signRequest(dated, key)), nowMs + 16 * 60_000, bound).message).toMatch(/is 960 s away from the server clock/);
  });

  it('binds the method: a Qiniu DELETE signature does not authorize a PUT', () => {
    const dated = received(url, { method: 'DELETE', headers: { 'X-Qiniu-Date': formatQiniuDate(nowMs) } });
    const auth = signRequest(dated, key);
    expect(rejection(withAuth({ ...dated, method: 'PUT' }, auth), nowMs, bound).message).toMatch(/^Qiniu signature of access key 'ak-test' does not match: expected HMAC-SHA1 of "PUT /);
  });

  it('qiniuAuthHeaders makes our clients a dated signature that binds the body', () => {
    const body = '{"fops":["imageInfo"]}';
    const request = received('http://127.0.0.1:8080/v1/jobs', { method: 'POST', contentType: 'application/json', body });
    const headers = qiniuAuthHeaders(request, key, nowMs);
    expect(headers['X-Qiniu-Date']).toBe('20240102T030405Z');
    const sent = withAuth(received('http://127.0.0.1:8080/v1/jobs', { method: 'POST', contentType: 'application/json', body, headers: { 'X-Qiniu-Date': headers['X-Qiniu-Date'] } }), headers.Authorization);
    expect(verifyRequestSignature(sent, keys, { ...bound, nowMs })).toBe(key);
    expect(rejection({ ...sent, body: Buffer.from('{"fops":["avinfo"]}') }, nowMs, bound).message).toMatch(/does not match/);
  });
});

describe('Authorization header problems', () => {
  const request = received('http://api.example.com/pfop/');

  it.each([
    [undefined, /^missing Authorization header/],
    ['Bearer abc', /^malformed Authorization header/],
    ['Basic ak-test:c2lnbg==', /^unknown Authorization scheme 'Basic': expected QBox or Qiniu/],
    ['QBox ak-test', /^malformed Authorization header/],
    ['QBox ak-test:', /^malformed Authorization header/],
    ['QBox nobody:c2lnbg==', /^unknown access key 'nobody'/],
    ['QBox ak-test:c2lnbg==', /^QBox signature of access key 'ak-test' does not match/],
  ])('%s → 401 naming it', (authorization, pattern) => {
    const sent = authorization === undefined ? request : withAuth(request, authorization);
    expect(rejection(sent).message).toMatch(pattern);
  });
});

describe('canonicalMimeHeaderKey', () => {
  it.each(['x-qiniu-date', 'X-QINIU-META-a', 'content-type', 'x-qiniu-é', "x-qiniu-it's", 'x-qiniu-back\\slash', '-x--y-'])(
    'canonicalises %s as the SDK does',
    (name) => {
      expect(canonicalMimeHeaderKey(name)).toBe(qiniu.util.canonicalMimeHeaderKey(name));
    },
  );
});
