import { FopSyntaxError } from './errors';
import { everyHostIsOwn, noHostIsOwn, ownHostOf, parseEncodedMarkSource } from './mark-source.params';
import { outsideFetches, objectReferences } from './object-references';
import { parsePipeline } from './pipeline';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const at = { command: 'watermark', stepIndex: 1 };
const own = ownHostOf('https://media.example.com');
const parse = (text: string, isOwnHost = own) => parseEncodedMarkSource(at, "parameter 'image'", b64(text), isOwnHost);

describe('a mark URL: a stored object on the platform own host, an outside URL elsewhere', () => {
  it('reads a URL on the public host, on either default port, and <bucket>:<key> as stored objects', () => {
    expect(parse('https://media.example.com/brand/logos/a%20b.png')).toEqual({ bucket: 'brand', key: 'logos/a b.png' });
    expect(parse('http://MEDIA.example.com/brand/logo.png')).toEqual({ bucket: 'brand', key: 'logo.png' });
    expect(parse('brand:logo.png')).toEqual({ bucket: 'brand', key: 'logo.png' });
  });

  it('keeps any other http(s) URL whole: another host, or the same host on another port', () => {
    expect(parse('https://cdn.other.net/brand/logo.png?v=2#top')).toEqual({ url: 'https://cdn.other.net/brand/logo.png?v=2' });
    expect(parse('https://media.example.com:8443/brand/logo.png')).toEqual({ url: 'https://media.example.com:8443/brand/logo.png' });
    // An outside URL needs no /<bucket>/<key> shape.
    expect(parse('http://cdn.other.net/logo.png')).toEqual({ url: 'http://cdn.other.net/logo.png' });
  });

  it('matches the port of a public URL that names one', () => {
    const local = ownHostOf('http://127.0.0.1:8080');
    expect(parse('http://127.0.0.1:8080/brand/logo.png', local)).toEqual({ bucket: 'brand', key: 'logo.png' });
    expect(parse('http://127.0.0.1:9090/brand/logo.png', local)).toEqual({ url: 'http://127.0.0.1:9090/brand/logo.png' });
    expect(parse('http://127.0.0.1/brand/logo.png', local)).toEqual({ url: 'http://127.0.0.1/brand/logo.png' });
  });

  it('still holds an own-host URL to /<bucket>/<key>, and refuses other schemes and credentials', () => {
    expect(() => parse('https://media.example.com/logo.png')).toThrow(/no query or fragment|bucket/);
    expect(() => parse('ftp://cdn.other.net/brand/logo.png')).toThrow(/http or https/);
    expect(() => parse('http://user:pw@cdn.other.net/brand/logo.png')).toThrow(/credentials/);
    expect(() => parse('https://user@media.example.com/brand/logo.png')).toThrow(/credentials/);
    expect(() => parse('http://[zz/brand/logo.png')).toThrow(FopSyntaxError);
  });

  it('without a host rule (the grammar alone) every URL names a stored object; for a job pipeline none does', () => {
    expect(parse('http://any.host/brand/logo.png', everyHostIsOwn)).toEqual({ bucket: 'brand', key: 'logo.png' });
    expect(parse('http://any.host/brand/logo.png', noHostIsOwn)).toEqual({ url: 'http://any.host/brand/logo.png' });
    expect(parse('brand:logo.png', noHostIsOwn)).toEqual({ bucket: 'brand', key: 'logo.png' });
  });
});

describe('canonical text of marks', () => {
  const pipeline = (mark: string) => parsePipeline(`watermark/1/image/${b64(mark)}`, { isOwnHost: own });
  const decodedMark = (normalized: string) => Buffer.from(normalized.split('/')[3], 'base64url').toString();

  it('writes an own-host mark as <bucket>:<key>, the same for every spelling of it', () => {
    const viaUrl = pipeline('https://media.example.com/brand/logo.png').normalized;
    expect(decodedMark(viaUrl)).toBe('brand:logo.png');
    expect(pipeline('brand:logo.png').normalized).toBe(viaUrl);
  });

  it('keeps an outside mark whole, so two sites with the same /<bucket>/<key> never share a cache key', () => {
    const one = pipeline('https://one.example.net/brand/logo.png').normalized;
    const two = pipeline('https://two.example.net/brand/logo.png').normalized;
    expect(decodedMark(one)).toBe('https://one.example.net/brand/logo.png');
    expect(one).not.toBe(two);
    expect(one).not.toBe(pipeline('brand:logo.png').normalized);
    // Re-parsed as a job's pipeline, the canonical text means the same marks.
    expect(parsePipeline(one, { isOwnHost: noHostIsOwn }).normalized).toBe(one);
    expect(parsePipeline(pipeline('brand:logo.png').normalized, { isOwnHost: noHostIsOwn }).steps).toEqual(pipeline('brand:logo.png').steps);
  });

  it('names outside marks as fetches, not object references, in watermark and avthumb wmImage', () => {
    const steps = parsePipeline(
      [`watermark/3/image/${b64('https://cdn.other.net/a.png')}/image/${b64('https://media.example.com/brand/b.png')}`, `avthumb/mp4/wmImage/${b64('http://cdn.other.net/c.png')}`].join('|'),
      { isOwnHost: own },
    ).steps;
    expect(objectReferences(steps)).toEqual([{ bucket: 'brand', key: 'b.png', stepIndex: 1, command: 'watermark' }]);
    expect(outsideFetches(steps)).toEqual([
      { url: 'https://cdn.other.net/a.png', stepIndex: 1, command: 'watermark' },
      { url: 'http://cdn.other.net/c.png', stepIndex: 2, command: 'avthumb' },
    ]);
  });
});
