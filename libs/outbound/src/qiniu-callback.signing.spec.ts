import { createHmac } from 'node:crypto';
import { qiniuCallbackAuthorization, qiniuCallbackSigningData, verifyQiniuCallback } from './qiniu-callback.signing';

const AK = 'test-ak';
const SK = 'test-sk';

/** Qiniu's sign, computed here without the library: urlsafe base64 of HMAC-SHA1. */
function expectedSign(data: string): string {
  return createHmac('sha1', SK).update(data).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

describe('Qiniu callback signature', () => {
  const body = '{"id":"z0.abc","code":0,"items":[]}';

  it('signs path and query only for a JSON notify, as Qiniu SDKs verify it', () => {
    const authorization = qiniuCallbackAuthorization(AK, SK, 'https://hooks.example.com/qiniu/notify?tenant=7', body);
    expect(authorization).toBe(`QBox ${AK}:${expectedSign('/qiniu/notify?tenant=7\n')}`);
    expect(qiniuCallbackSigningData('https://x.test/p', body).toString()).toBe('/p\n');
  });

  it('includes the body for a form-urlencoded callback', () => {
    const form = 'key=a.jpg&hash=Fh8x';
    const authorization = qiniuCallbackAuthorization(AK, SK, 'https://hooks.example.com/cb', form, 'application/x-www-form-urlencoded');
    expect(authorization).toBe(`QBox ${AK}:${expectedSign(`/cb\n${form}`)}`);
    // Go's SDK compares the header string exactly; with a charset the body is left out there too.
    expect(qiniuCallbackSigningData('/cb', form, 'application/x-www-form-urlencoded; charset=utf-8').toString()).toBe('/cb\n');
  });

  it('round-trips: the receiver verifies with the request URI it sees', () => {
    const authorization = qiniuCallbackAuthorization(AK, SK, new URL('https://hooks.example.com/n?x=1&y=2'), body);
    expect(verifyQiniuCallback(AK, SK, '/n?x=1&y=2', body, authorization)).toBe(true);
    expect(verifyQiniuCallback(AK, SK, '/n?x=1&y=3', body, authorization)).toBe(false);
    expect(verifyQiniuCallback(AK, 'other-sk', '/n?x=1&y=2', body, authorization)).toBe(false);
    expect(verifyQiniuCallback('other-ak', SK, '/n?x=1&y=2', body, authorization)).toBe(false);
    expect(verifyQiniuCallback(AK, SK, '/n?x=1&y=2', body, undefined)).toBe(false);

    const form = 'a=1';
    const formAuth = qiniuCallbackAuthorization(AK, SK, '/f', form, 'application/x-www-form-urlencoded');
    expect(verifyQiniuCallback(AK, SK, '/f', form, formAuth, 'application/x-www-form-urlencoded')).toBe(true);
    expect(verifyQiniuCallback(AK, SK, '/f', 'a=2', formAuth, 'application/x-www-form-urlencoded')).toBe(false);
  });
});
