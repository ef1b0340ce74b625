import { createHmac } from 'node:crypto';
import { decodeUrlsafeBase64, encodeEntryUri, qiniuSign, signaturesEqual, urlsafeBase64 } from './qiniu-sign';

describe('Qiniu signing helpers', () => {
  it('encodes EncodedEntryURI as Qiniu documents it', () => {
    // Qiniu's docs: "bucket:key" → urlsafe base64.
    expect(encodeEntryUri('qiniuphotos', 'gogopher.jpg')).toBe('cWluaXVwaG90b3M6Z29nb3BoZXIuanBn');
    expect(decodeUrlsafeBase64(encodeEntryUri('b', 'a/é?.jpg'))!.toString()).toBe('b:a/é?.jpg');
  });

  it('signs with HMAC-SHA1 in URL-safe base64', () => {
    const expected = createHmac('sha1', 'secret').update('host/path?x').digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(qiniuSign('secret', 'host/path?x')).toBe(expected);
    expect(urlsafeBase64(Buffer.from([0xfb, 0xff]))).toBe('-_8=');
  });

  it('rejects malformed base64 instead of guessing', () => {
    expect(decodeUrlsafeBase64('a$b')).toBeUndefined();
    expect(decodeUrlsafeBase64('abcde')).toBeUndefined();
    expect(decodeUrlsafeBase64('YWJj')!.toString()).toBe('abc');
    expect(decodeUrlsafeBase64('YWI')!.toString()).toBe('ab');
  });

  it('compares signatures of any length without throwing', () => {
    expect(signaturesEqual('abc', 'abc')).toBe(true);
    expect(signaturesEqual('abc', 'abd')).toBe(false);
    expect(signaturesEqual('abc', 'abcd')).toBe(false);
  });
});
