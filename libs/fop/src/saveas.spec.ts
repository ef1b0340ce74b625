import { FopSyntaxError } from './errors';
import { splitSaveas } from './saveas';

const entry = (text: string) => Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

describe('splitSaveas', () => {
  it('leaves a fop without saveas alone', () => {
    expect(splitSaveas('imageView2/2/w/10|imageInfo')).toEqual({ pipeline: 'imageView2/2/w/10|imageInfo' });
  });

  it('splits the async form (no sign)', () => {
    expect(splitSaveas(`imageView2/2/w/10|saveas/${entry('out:thumbs/a b.jpg')}`)).toEqual({
      pipeline: 'imageView2/2/w/10',
      saveas: { bucket: 'out', key: 'thumbs/a b.jpg' },
    });
  });

  it('splits the sync form and says which prefix the signature covers', () => {
    const text = `imageView2/2/w/10|saveas/${entry('out:k.jpg')}/sign/AK123:c2lnbmF0dXJl`;
    const split = splitSaveas(text);
    expect(split.saveas).toEqual({ bucket: 'out', key: 'k.jpg', sign: { accessKey: 'AK123', signature: 'c2lnbmF0dXJl' } });
    expect(text.slice(0, split.signedPrefixLength)).toBe(`imageView2/2/w/10|saveas/${entry('out:k.jpg')}`);
  });

  // Qiniu's SDKs encode a bucket alone as an EncodedEntryURI; the service then names the result
  // by its own default key rule (the result's qetag), which the worker applies.
  it('splits a bucket-only target, leaving the key to Qiniu\'s default rule', () => {
    expect(splitSaveas(`imageView2/2/w/10|saveas/${entry('out')}`)).toEqual({ pipeline: 'imageView2/2/w/10', saveas: { bucket: 'out' } });
    const signed = splitSaveas(`imageView2/2/w/10|saveas/${entry('out')}/sign/AK123:c2ln`);
    expect(signed.saveas).toEqual({ bucket: 'out', sign: { accessKey: 'AK123', signature: 'c2ln' } });
  });

  it.each([
    ['saveas/' + entry('b:k'), /needs a processing step/],
    [`imageInfo|saveas/${entry('b:k')}|imageInfo`, /must be the last step/],
    ['imageInfo|saveas/!!!', /not urlsafe-base64/],
    [`imageInfo|saveas/${entry(':k')}`, /<bucket>:<key>/],
    [`imageInfo|saveas/${entry('b:')}`, /<bucket>:<key>/],
    [`imageInfo|saveas/${entry('b:k')}/sign/nocolon`, /<AccessKey>:<EncodedSign>/],
    [`imageInfo|saveas/${entry('b:k')}/other/x`, /expected saveas/],
  ])('rejects %s', (text, pattern) => {
    expect(() => splitSaveas(text)).toThrow(FopSyntaxError);
    expect(() => splitSaveas(text)).toThrow(pattern);
  });
});
