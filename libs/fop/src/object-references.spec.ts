import { objectReferences } from './object-references';
import { parsePipeline } from './pipeline';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('objectReferences', () => {
  it('names every object a pipeline reads besides its input, with its step', () => {
    const pipeline = parsePipeline(
      [
        'imageView2/2/w/100',
        `watermark/3/image/${b64('marks:logo.png')}/text/${b64('hi')}/image/${b64('http://any.host/other/a%20b.png')}`,
      ].join('|'),
    );
    expect(objectReferences(pipeline.steps)).toEqual([
      { bucket: 'marks', key: 'logo.png', stepIndex: 2, command: 'watermark' },
      { bucket: 'other', key: 'a b.png', stepIndex: 2, command: 'watermark' },
    ]);
  });

  it('finds avthumb wmImage and subtitle, and every avconcat input', () => {
    const avthumb = parsePipeline(`avthumb/mp4/wmImage/${b64('secret:logo.png')}/subtitle/${b64('subs:film.srt')}`);
    expect(objectReferences(avthumb.steps)).toMatchObject([{ bucket: 'secret', key: 'logo.png' }, { bucket: 'subs', key: 'film.srt' }]);
    const concat = parsePipeline(`avconcat/2/format/mp4/${b64('clips:a.mp4')}/${b64('private:b.mp4')}`);
    expect(objectReferences(concat.steps).map((ref) => `${ref.bucket}:${ref.key}`)).toEqual(['clips:a.mp4', 'private:b.mp4']);
  });

  it('names nothing for commands that read only their input, or for custom commands', () => {
    expect(objectReferences(parsePipeline('imageMogr2/thumbnail/100x|imageInfo').steps)).toEqual([]);
    expect(objectReferences(parsePipeline('shout/case/upper', { customCommands: 'any' }).steps)).toEqual([]);
  });
});
