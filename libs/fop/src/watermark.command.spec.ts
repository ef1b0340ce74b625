import { commandTester } from './testing/syntax-error.expect';
import { type WatermarkArgs, maxWatermarkMarks, watermarkCommand } from './watermark.command';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const { parse, canonical, thrown } = commandTester(watermarkCommand);
const logo = b64('http://cdn.example.com/brand/logos/logo.png');

const placement = { dissolve: 100, gravity: 'SouthEast', dx: 10, dy: 10 };

describe('watermark spec', () => {
  it('is an image command producing media', () => {
    expect(watermarkCommand).toMatchObject({ name: 'watermark', family: 'image', output: 'media' });
  });
});

describe('watermark 1 (image)', () => {
  it('reads every parameter, in any order', () => {
    const expected: WatermarkArgs = {
      marks: [{ kind: 'image', image: { bucket: 'brand', key: 'logos/logo.png' }, dissolve: 50, gravity: 'NorthWest', dx: 20, dy: 0, ws: 0.25 }],
    };
    expect(parse(`1/image/${logo}/dissolve/50/gravity/NorthWest/dx/20/dy/0/ws/0.25`)).toEqual(expected);
    expect(parse(`1/ws/0.25/dy/0/dx/20/gravity/NorthWest/dissolve/50/image/${logo}`)).toEqual(expected);
  });

  it("reads wst, Qiniu's edge for ws (0 short, the default, folded away; 1 long, 2 width, 3 height)", () => {
    expect(parse(`1/image/${logo}/ws/0.5/wst/0`).marks[0]).not.toHaveProperty('scaleEdge');
    expect(parse(`1/image/${logo}/ws/0.5/wst/1`).marks[0]).toMatchObject({ ws: 0.5, scaleEdge: 'long' });
    expect(parse(`1/image/${logo}/ws/0.5/wst/2`).marks[0]).toMatchObject({ scaleEdge: 'width' });
    expect(parse(`1/image/${logo}/wst/3/ws/0.5`).marks[0]).toMatchObject({ scaleEdge: 'height' });
    expect(watermarkCommand.format(parse(`1/image/${logo}/ws/0.5/wst/3`))).toBe(`watermark/1/image/${b64('brand:logos/logo.png')}/ws/0.5/wst/3`);
    expect(watermarkCommand.format(parse(`1/image/${logo}/ws/0.5/wst/0`))).toBe(`watermark/1/image/${b64('brand:logos/logo.png')}/ws/0.5`);
    expect(thrown(`1/image/${logo}/wst/4`).message).toBe("watermark: parameter 'wst' must be an integer from 0 to 3, got '4' (step 1)");
    expect(thrown(`1/image/${logo}/wst/1`).message).toBe("watermark: parameter 'wst' chooses the edge ws scales by, and ws is 0 or absent (step 1)");
    expect(thrown(`3/image/${logo}/wst/2/text/${b64('x')}`).message).toContain("parameter 'wst' chooses the edge ws scales by");
    expect(thrown(`2/text/${b64('x')}/wst/1`).message).toContain("unknown parameter 'wst'");
  });

  it('fills in Qiniu\'s defaults', () => {
    expect(parse(`1/image/${logo}`)).toEqual({
      marks: [{ kind: 'image', image: { bucket: 'brand', key: 'logos/logo.png' }, ...placement, ws: 0 }],
    });
  });

  it.each([
    ['http://cdn.example.com/brand/logo.png', { bucket: 'brand', key: 'logo.png' }],
    ['https://any.host:8443/brand/a/b/c.png', { bucket: 'brand', key: 'a/b/c.png' }],
    ['HTTP://h/brand/a%20b%2Fc.png', { bucket: 'brand', key: 'a b/c.png' }],
    ['http://h/brand/%E4%B8%AD.png', { bucket: 'brand', key: '中.png' }],
    ['brand:logos/logo.png', { bucket: 'brand', key: 'logos/logo.png' }],
    ['brand:a:b', { bucket: 'brand', key: 'a:b' }],
  ])('reads the object named by %p, ignoring any host', (text, ref) => {
    expect(parse(`1/image/${b64(text)}`).marks[0]).toMatchObject({ image: ref });
  });

  it('accepts padded base64', () => {
    const padded = Buffer.from('brand:logo.png').toString('base64');
    expect(padded).toMatch(/=$/);
    expect(parse(`1/image/${padded}`).marks[0]).toMatchObject({ image: { bucket: 'brand', key: 'logo.png' } });
  });

  it.each([
    ['http://h/brand/logo.png?imageView2/2/w/10', 'query'],
    ['http://h/brand/logo.png#top', 'fragment'],
    ['http://h/brand', 'no key'],
    ['http://h/brand/', 'empty key'],
    ['ftp://h/brand/logo.png', 'other scheme'],
    ['file:///etc/passwd', 'file URL'],
    ['//h/brand/logo.png', 'no scheme'],
    ['BR:logo.png', 'bad bucket'],
    ['admin:logo.png', 'reserved bucket'],
    [':logo.png', 'no bucket'],
    ['brand:', 'no key'],
    ['brand', 'no colon'],
    ['brand:/logo.png', 'key with leading slash'],
    ['brand:a/../b', 'dot-dot segment'],
    ['http://h/brand/a%zz', 'broken escape'],
  ])('rejects the image %p (%s)', (text) => {
    const token = b64(text);
    const error = thrown(`1/image/${token}`);
    expect(error.message).toMatch(/^watermark: parameter 'image'/);
    expect(error.token).toBe(token);
  });

  it.each([
    ['dissolve', '0', "parameter 'dissolve' must be an integer from 1 to 100"],
    ['dissolve', '101', "parameter 'dissolve' must be an integer from 1 to 100"],
    ['gravity', 'Top', "parameter 'gravity' must be one of NorthWest, North, NorthEast, West, Center, East, SouthWest, South, SouthEast"],
    ['dx', '-1', "parameter 'dx' must be an integer from 0 to 9999"],
    ['dy', '10000', "parameter 'dy' must be an integer from 0 to 9999"],
    ['ws', '1.5', "parameter 'ws' must be a decimal from 0 to 1 with at most 6 decimals"],
    ['ws', '.5', "parameter 'ws' must be a decimal from 0 to 1 with at most 6 decimals"],
    ['ws', '0.1234567', "parameter 'ws' must be a decimal from 0 to 1 with at most 6 decimals"],
    ['ws', '1e-1', "parameter 'ws' must be a decimal from 0 to 1 with at most 6 decimals"],
  ])('rejects %s/%s', (name, token, problem) => {
    expect(thrown(`1/image/${logo}/${name}/${token}`).message).toBe(`watermark: ${problem}, got '${token}' (step 1)`);
  });

  it('requires the image and rejects text-only parameters', () => {
    expect(thrown('1/dissolve/50').message).toBe("watermark: parameter 'image' is required (step 1)");
    expect(thrown(`1/image/${logo}/fontsize/500`).message).toBe(
      "watermark: unknown parameter 'fontsize'; expected one of image, dissolve, gravity, dx, dy, ws, wst (step 1)",
    );
    expect(thrown(`1/image/${logo}/dx/1/dx/1`).message).toBe("watermark: parameter 'dx' is given more than once (step 1)");
  });
});

describe('watermark 2 (text)', () => {
  it('reads every parameter', () => {
    expect(parse(`2/text/${b64('© Fopflow 七牛')}/font/${b64('DejaVu Serif')}/fontsize/500/fill/${b64('#FF000080')}/dissolve/70/gravity/Center/dx/0/dy/5`)).toEqual({
      marks: [{ kind: 'text', text: '© Fopflow 七牛', font: 'DejaVu Serif', fontSize: 500, fill: { r: 255, g: 0, b: 0, a: 128 },
        dissolve: 70, gravity: 'Center', dx: 0, dy: 5 }],
    });
  });

  it('fills in the defaults: 240 twips, black, the system font', () => {
    expect(parse(`2/text/${b64('hi')}`)).toEqual({
      marks: [{ kind: 'text', text: 'hi', fontSize: 240, fill: { r: 0, g: 0, b: 0, a: 255 }, ...placement }],
    });
  });

  it.each([
    ['text', b64(''), /parameter 'text' must be UTF-8 text in URL-safe base64/],
    ['text', 'a', /parameter 'text' must be UTF-8 text in URL-safe base64; it is not valid base64/],
    ['text', b64('a\u0007b'), /control character/],
    ['text', Buffer.from([0xff, 0xfe]).toString('base64url'), /does not decode to UTF-8/],
    ['text', b64('x'.repeat(501)), /over 500 characters/],
    ['font', b64('Sans, Bold 99'), /parameter 'font' must name one font family \(no commas\)/],
    ['fontsize', '19', /parameter 'fontsize' must be an integer from 20 to 20000/],
    ['fontsize', '20001', /parameter 'fontsize' must be an integer from 20 to 20000/],
    ['fill', b64('#12'), /parameter 'fill' must be URL-safe base64 of #RGB/],
  ])('rejects %s/%s', (name, token, problem) => {
    const text = name === 'text' ? `2/text/${token}` : `2/text/${b64('hi')}/${name}/${token}`;
    expect(thrown(text).message).toMatch(problem);
  });

  it('requires the text and rejects image-only parameters', () => {
    expect(thrown('2/fontsize/500').message).toBe("watermark: parameter 'text' is required (step 1)");
    expect(thrown(`2/text/${b64('hi')}/ws/1`).message).toContain("unknown parameter 'ws'");
    expect(thrown(`2/text/${b64('hi')}/image/${logo}`).message).toContain("unknown parameter 'image'");
  });
});

describe('watermark 3 (several)', () => {
  it('starts a new mark at every image and text, in order', () => {
    const args = parse(`3/image/${logo}/dissolve/50/text/${b64('a')}/fill/${b64('red')}/gravity/North/image/${b64('bkt:k')}/ws/1`);
    expect(args.marks.map((mark) => mark.kind)).toEqual(['image', 'text', 'image']);
    expect(args.marks[0]).toMatchObject({ dissolve: 50, gravity: 'SouthEast' });
    expect(args.marks[1]).toMatchObject({ text: 'a', fill: { r: 255, g: 0, b: 0, a: 255 }, gravity: 'North', dissolve: 100 });
    expect(args.marks[2]).toMatchObject({ image: { bucket: 'bkt', key: 'k' }, ws: 1 });
  });

  it('lets each mark repeat the parameters of another', () => {
    expect(parse(`3/text/${b64('a')}/dx/1/text/${b64('b')}/dx/2`).marks.map((mark) => mark.dx)).toEqual([1, 2]);
  });

  it('rejects parameters before any mark, repeated within a mark, or of the other kind', () => {
    expect(thrown('3/dissolve/50/text/' + b64('a')).message).toBe(
      "watermark: parameter 'dissolve' must follow the image or text it applies to (step 1)",
    );
    expect(thrown(`3/text/${b64('a')}/dx/1/dx/2`).message).toBe("watermark: parameter 'dx' is given more than once for one mark (step 1)");
    expect(thrown(`3/text/${b64('a')}/ws/1`).message).toBe(
      "watermark: parameter 'ws' does not apply to a text mark; expected one of text, font, fontsize, fill, dissolve, gravity, dx, dy (step 1)",
    );
    expect(thrown(`3/image/${logo}/fill/${b64('red')}`).message).toContain("parameter 'fill' does not apply to a image mark");
    expect(thrown('3').message).toBe('watermark: at least one image or text mark is required (step 1)');
    expect(thrown('3/nope/1').message).toContain("unknown parameter 'nope'");
    expect(thrown(`3/text/${b64('a')}/dx`).message).toBe("watermark: parameter 'dx' has no value (step 1)");
  });

  it(`allows at most ${maxWatermarkMarks} marks`, () => {
    const mark = `text/${b64('a')}`;
    expect(parse(`3/${Array(maxWatermarkMarks).fill(mark).join('/')}`).marks).toHaveLength(maxWatermarkMarks);
    expect(thrown(`3/${Array(maxWatermarkMarks + 1).fill(mark).join('/')}`).message).toBe(
      `watermark: at most ${maxWatermarkMarks} marks are allowed in one step (step 1)`,
    );
  });
});

describe('watermark mode and format', () => {
  it.each(['', '0', '4', 'image', '1.0'])('rejects mode %p', (mode) => {
    expect(thrown(mode).message).toMatch(/^watermark: mode/);
  });

  it('writes the shortest canonical text: entry form, unpadded base64, no defaults', () => {
    expect(canonical(`1/image/${logo}/dissolve/100/gravity/SouthEast/dx/10/dy/10/ws/0`)).toBe(`watermark/1/image/${b64('brand:logos/logo.png')}`);
    expect(canonical(`2/text/${Buffer.from('hi!').toString('base64')}/fontsize/240/fill/${b64('#000')}`)).toBe(`watermark/2/text/${b64('hi!')}`);
    expect(canonical(`1/image/${logo}/ws/0.50`)).toBe(`watermark/1/image/${b64('brand:logos/logo.png')}/ws/0.5`);
  });

  it('gives one mark in mode 3 the text of mode 1 or 2', () => {
    expect(canonical(`3/image/${logo}/dx/5`)).toBe(canonical(`1/dx/5/image/${logo}`));
    expect(canonical(`3/text/${b64('a')}/dy/5`)).toBe(canonical(`2/dy/5/text/${b64('a')}`));
  });

  it('keeps the order of several marks', () => {
    const a = canonical(`3/text/${b64('a')}/text/${b64('b')}`);
    const b = canonical(`3/text/${b64('b')}/text/${b64('a')}`);
    expect(a).not.toBe(b);
    expect(a).toBe(`watermark/3/text/${b64('a')}/text/${b64('b')}`);
  });

  it('round-trips its own output and never grows', () => {
    const input = `3/image/${logo}/dissolve/50/gravity/North/text/${b64('x')}/font/${b64('DejaVu Sans')}/fill/${b64('#FF0000')}/fontsize/300`;
    const text = canonical(input);
    expect(canonical(text.slice('watermark/'.length))).toBe(text);
    expect(text.length).toBeLessThanOrEqual(`watermark/${input}`.length);
  });
});
