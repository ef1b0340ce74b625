import { thrownSyntaxError } from './testing/syntax-error.expect';
import { decodeBase64Text, encodeBase64Text, formatObjectUrl, parseObjectUrl } from './encoded.params';

const at = { command: 'demo', stepIndex: 1 };
const b64 = (text: string) => Buffer.from(text).toString('base64url');

const thrown = (run: () => unknown) => thrownSyntaxError(run);

describe('base64 text', () => {
  it('decodes URL-safe base64 with or without padding', () => {
    expect(decodeBase64Text(at, 'x', b64('hé?'), 'text', 10)).toBe('hé?');
    expect(decodeBase64Text(at, 'x', `${b64('ab')}=`, 'text', 10)).toBe('ab');
    expect(encodeBase64Text('hé?')).toBe(b64('hé?'));
  });

  it.each([
    ['!!', 'it is not valid base64'],
    ['', 'it is empty'],
    ['A', 'it is not valid base64'],
    [Buffer.from([0xff, 0xfe]).toString('base64url'), 'it does not decode to UTF-8 text'],
    [b64('a\u0000b'), 'the text holds a control character'],
    [b64('toolong'), 'the text is over 3 characters'],
  ])('refuses %p: %s', (token, problem) => {
    expect(thrown(() => decodeBase64Text(at, 'x', token, 'text', 3)).message).toBe(`demo: x must be text in URL-safe base64; ${problem}, got '${token}' (step 1)`);
  });
});

describe('object URLs', () => {
  it('reads bucket and key, ignoring host and scheme, decoding escapes', () => {
    expect(parseObjectUrl(at, 'x', b64('https://cdn.example.com:8443/media/a/b%20c.mp4'))).toEqual({ bucket: 'media', key: 'a/b c.mp4' });
    expect(parseObjectUrl(at, 'x', b64('HTTP://h/media/k'))).toEqual({ bucket: 'media', key: 'k' });
  });

  it.each([
    ['ftp://h/media/k', 'the URL must be http(s)://<host>/<bucket>/<key> with no query or fragment'],
    ['http://h/media', 'the URL must be http(s)://<host>/<bucket>/<key> with no query or fragment'],
    ['http://h/media/k#frag', 'the URL must be http(s)://<host>/<bucket>/<key> with no query or fragment'],
    ['http://h/Media/k', 'the URL names no valid bucket (3-63 characters of a-z, 0-9 and -)'],
    ['http://h/admin/k', 'the URL names no valid bucket (3-63 characters of a-z, 0-9 and -)'],
    ['http://h/media/%zz', 'the key holds a broken percent-escape'],
    ['http://h/media/a%0Ab', 'the key holds a control character'],
    ['http://h/media/a/../b', "the key must not start with '/' nor hold '.' or '..' segments"],
    ['http://h/media/%2Fetc', "the key must not start with '/' nor hold '.' or '..' segments"],
  ])('refuses %p', (url, problem) => {
    const token = b64(url);
    expect(thrown(() => parseObjectUrl(at, 'x', token)).message).toBe(`demo: x: ${problem}, got '${token.length > 40 ? `${token.slice(0, 40)}…` : token}' (step 1)`);
  });

  it('writes a URL that reads back to the same object and is never longer than a URL with a host', () => {
    for (const key of ['a.mp4', 'dir/100%.mp4', 'q?#.mp4', 'é ✓.mp4']) {
      const token = formatObjectUrl({ bucket: 'media', key });
      expect(parseObjectUrl(at, 'x', token)).toEqual({ bucket: 'media', key });
    }
  });
});
