import * as qiniu from 'qiniu';
import { AccessKeyStore } from './access-keys';
import { DownloadRequest, hasDownloadToken, privateDownloadUrl, verifyDownloadToken } from './download-token';
import { AuthError } from './request-auth';

const key = { accessKey: 'ak-test', secretKey: 'sk-test-secret', tier: 'paid' };
const keys = new AccessKeyStore([key, { accessKey: 'ak-other', secretKey: 'sk-other-secret', tier: 'free' }]);
const bucketManager = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(key.accessKey, key.secretKey), new qiniu.conf.Config());
const deadline = 1_900_000_000;
const beforeDeadlineMs = (deadline - 60) * 1000;

/** Host and raw target of a URL, as the server receives them. */
function sent(url: string): DownloadRequest {
  const u = new URL(url);
  return { host: u.host, path: u.pathname + u.search };
}

function rejection(request: DownloadRequest, nowMs = beforeDeadlineMs): AuthError {
  try {
    verifyDownloadToken(request, keys, nowMs);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(401);
    return error as AuthError;
  }
  throw new Error('download was allowed');
}

describe('private download URLs', () => {
  it.each([
    ['a plain object', 'http://127.0.0.1:8080', 'photos/cats/tabby.jpg'],
    ['a fop URL (e= after the fop)', 'http://cdn.example.com', 'photos/cat.jpg?imageView2/2/w/100|imageInfo'],
    ['an https domain and an escaped key', 'https://cdn.example.com', 'photos/a b/é.jpg'],
  ])('verifies what the SDK makes for %s, and makes the same', (_, domain, fileName) => {
    const url = bucketManager.privateDownloadUrl(domain, fileName, deadline);
    expect(verifyDownloadToken(sent(url), keys, beforeDeadlineMs)).toBe(key);
    const base = url.slice(0, url.search(/[?&]e=/));
    expect(privateDownloadUrl(base, key, deadline)).toBe(url);
  });

  it('puts &e= after an existing query, as fop URLs need', () => {
    const url = privateDownloadUrl('http://h/b/k?imageView2/2/w/100', key, deadline);
    expect(url).toMatch(/^http:\/\/h\/b\/k\?imageView2\/2\/w\/100&e=1900000000&token=ak-test:[A-Za-z0-9_-]+=*$/);
    expect(verifyDownloadToken(sent(url), keys, beforeDeadlineMs)).toBe(key);
  });

  it('accepts a token whose : and = a client percent-encoded', () => {
    const url = bucketManager.privateDownloadUrl('http://h', 'b/k', deadline);
    const [head, token] = url.split('&token=');
    expect(verifyDownloadToken(sent(`${head}&token=${encodeURIComponent(token)}`), keys, beforeDeadlineMs)).toBe(key);
  });

  it('tells whether a URL carries a token at all', () => {
    expect(hasDownloadToken('/b/k?e=1&token=a:b')).toBe(true);
    expect(hasDownloadToken('/b/k?imageView2/2/w/100')).toBe(false);
  });

  describe('refuses', () => {
    const url = bucketManager.privateDownloadUrl('http://127.0.0.1:8080', 'b/k?imageInfo', deadline);

    it('a missing token or deadline', () => {
      expect(rejection(sent('http://127.0.0.1:8080/b/k?imageInfo')).message).toMatch(/^private download needs e=<deadline>&token=/);
      expect(rejection(sent(url.replace(/&e=\d+/, ''))).message).toMatch(/needs e=<deadline in Unix seconds> just before &token=/);
      expect(rejection(sent(url.replace(/token=.*/, 'token=ak-test'))).message).toMatch(/malformed download token/);
    });

    it('an expired token, naming its deadline', () => {
      expect(verifyDownloadToken(sent(url), keys, deadline * 1000 + 999)).toBe(key);
      expect(rejection(sent(url), (deadline + 1) * 1000).message).toBe('download token expired at e=1900000000 (2030-03-17T17:46:40.000Z)');
    });

    it('an unknown access key', () => {
      expect(rejection(sent(url.replace('token=ak-test', 'token=ak-nobody'))).message).toBe("unknown access key 'ak-nobody' in download token");
    });

    it.each([
      ['a changed deadline', url.replace(`e=${deadline}`, `e=${deadline + 1}`)],
      ['a changed key', url.replace('/b/k', '/b/k2')],
      ['a changed fop', url.replace('imageInfo', 'exif')],
      ['another host', url.replace('127.0.0.1:8080', '127.0.0.1:8081')],
      ['another signer', url.replace('token=ak-test', 'token=ak-other')],
      ['a parameter after the token', `${url}&x=1`],
    ])('%s', (_, tampered) => {
      expect(rejection(sent(tampered)).message).toMatch(/download token of access key '[\w-]+' does not match: expected HMAC-SHA1 of "http:\/\/127\.0\.0\.1:808\d\/b\//);
    });
  });
});
