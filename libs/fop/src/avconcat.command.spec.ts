import { thrownSyntaxError } from './testing/syntax-error.expect';
import { avconcatCommand } from './avconcat.command';
import { avinfoCommand } from './avinfo.command';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const parse = (text: string) => avconcatCommand.parse(text === '' ? [] : text.split('/'), 1);

const thrown = (run: () => unknown) => thrownSyntaxError(run);

describe('avconcat', () => {
  it('is an async-only av command producing media', () => {
    expect(avconcatCommand).toMatchObject({ name: 'avconcat', family: 'av', output: 'media', syncAllowed: false });
  });

  it('reads the sources in order, by URL (host ignored) or bucket:key', () => {
    const text = `2/format/mp4/${b64('https://cdn.example.com/media/b.mp4')}/${b64('media:dir/c.mp4')}/${b64('http://x/other/d%3Fe.mp4')}`;
    expect(parse(text)).toEqual({
      mode: 2,
      format: 'mp4',
      sources: [
        { bucket: 'media', key: 'b.mp4' },
        { bucket: 'media', key: 'dir/c.mp4' },
        { bucket: 'other', key: 'd?e.mp4' },
      ],
    });
  });

  it('reads mode 1 (join without re-encoding) as well as mode 2, and keeps them apart', () => {
    const source = b64('media:b.mp4');
    expect(parse(`1/format/mp4/${source}`)).toEqual({ mode: 1, format: 'mp4', sources: [{ bucket: 'media', key: 'b.mp4' }] });
    expect(avconcatCommand.format(parse(`1/format/mp4/${source}`))).toBe(`avconcat/1/format/mp4/${source}`);
  });

  it('writes the shortest spelling of every source', () => {
    const args = parse(`2/format/webm/${b64('https://cdn.example.com/media/b.webm')}`);
    expect(avconcatCommand.format(args)).toBe(`avconcat/2/format/webm/${b64('media:b.webm')}`);
  });

  it('takes up to 20 sources', () => {
    const url = b64('media:a.mp4');
    expect(parse(`2/format/mp3/${Array(20).fill(url).join('/')}`).sources).toHaveLength(20);
    expect(thrown(() => parse(`2/format/mp3/${Array(21).fill(url).join('/')}`)).message).toBe(
      'avconcat: at most 20 source URLs may follow the format, got 21 (step 1)',
    );
  });

  it.each([
    ['', 'avconcat: mode (1 or 2) is required as the first value (step 1)'],
    ['3/format/mp4/x', "avconcat: mode must be 1 or 2, got '3' (step 1)"],
    ['2/mp4/x', "avconcat: parameter 'format' must follow the mode, got 'mp4' (step 1)"],
    ['2', "avconcat: parameter 'format' must follow the mode, got nothing (step 1)"],
    ['2/format', "avconcat: parameter 'format' has no value (step 1)"],
    ['2/format/avi/x', "avconcat: parameter 'format' must be one of mp4, webm, mov, mp3, aac, m4a, ogg, flac, wav, got 'avi' (step 1)"],
    ['2/format/mp4', 'avconcat: at least one source URL (URL-safe base64) must follow the format (step 1)'],
  ])('refuses %p', (text, message) => {
    expect(thrown(() => parse(text)).message).toBe(message);
  });

  it('names the bad source', () => {
    const error = thrown(() => parse(`2/format/mp4/${b64('media:a.mp4')}/${b64('ftp://h/media/a.mp4')}`));
    expect(error.message).toContain('avconcat: source 2');
    expect(thrown(() => parse(`2/format/mp4/${b64('http://h/media/')}`)).message).toContain('source 1');
  });
});

describe('avinfo', () => {
  it('is an av command producing JSON and takes no parameters', () => {
    expect(avinfoCommand).toMatchObject({ name: 'avinfo', family: 'av', output: 'json' });
    expect(avinfoCommand.parse([], 1)).toEqual({});
    expect(avinfoCommand.format({})).toBe('avinfo');
    expect(thrown(() => avinfoCommand.parse(['v'], 3)).message).toBe("avinfo: takes no parameters, got 'v' (step 3)");
  });
});
