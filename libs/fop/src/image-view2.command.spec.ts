import { commandTester } from './testing/syntax-error.expect';
import { imageView2Command, imageView2DefaultQuality } from './image-view2.command';

const { parse, canonical, thrown } = commandTester(imageView2Command);

describe('imageView2 spec', () => {
  it('is an image command producing media', () => {
    expect(imageView2Command.name).toBe('imageView2');
    expect(imageView2Command.family).toBe('image');
    expect(imageView2Command.output).toBe('media');
    expect(imageView2Command.summary).toMatch(/\S/);
  });
});

describe('imageView2 parse', () => {
  it('reads every parameter', () => {
    expect(parse('2/w/640/h/960/format/webp/interlace/1/q/90!/ignore-error/1')).toEqual({
      mode: 2,
      w: 640,
      h: 960,
      format: 'webp',
      interlace: true,
      q: 90,
      qForce: true,
      ignoreError: true,
    });
  });

  it('leaves absent parameters absent', () => {
    expect(parse('0/w/100')).toEqual({ mode: 0, w: 100, qForce: false, ignoreError: false });
    expect(parse('5/h/100')).toEqual({ mode: 5, h: 100, qForce: false, ignoreError: false });
  });

  it.each([0, 1, 2, 3, 4, 5])('accepts mode %p', (mode) => {
    expect(parse(`${mode}/w/10`).mode).toBe(mode);
  });

  it('accepts w and h at both ends of the range', () => {
    expect(parse('1/w/1/h/9999')).toMatchObject({ w: 1, h: 9999 });
  });

  it.each(['jpg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp'])('accepts format %p', (format) => {
    expect(parse(`2/w/10/format/${format}`).format).toBe(format);
  });

  it('reads jpeg as jpg', () => {
    expect(parse('2/w/10/format/jpeg').format).toBe('jpg');
  });

  it('reads q without and with the force suffix', () => {
    expect(parse('2/w/10/q/1')).toMatchObject({ q: 1, qForce: false });
    expect(parse('2/w/10/q/100!')).toMatchObject({ q: 100, qForce: true });
  });

  it('folds values that only restate the default', () => {
    expect(parse('2/w/10/q/75')).toEqual(parse('2/w/10'));
    expect(parse('2/w/10/interlace/0')).toEqual(parse('2/w/10'));
    expect(parse('2/w/10/q/75!')).toMatchObject({ q: imageView2DefaultQuality, qForce: true });
  });

  it('accepts leading zeros and reads them as the plain number', () => {
    expect(parse('02/w/0640/q/080')).toMatchObject({ mode: 2, w: 640, q: 80 });
  });
});

describe('imageView2 errors', () => {
  it('requires a mode', () => {
    const error = thrown('');
    expect(error.message).toBe('imageView2: mode (0 to 5) is required as the first value (step 1)');
  });

  it.each(['6', '-1', 'w', '', '2.0', 'x'])('rejects mode %p', (mode) => {
    const error = thrown(`${mode}/w/10`, 2);
    expect(error.message).toBe(`imageView2: mode must be an integer from 0 to 5, got '${mode}' (step 2)`);
    expect(error.token).toBe(mode);
    expect(error.stepIndex).toBe(2);
  });

  it('requires w or h', () => {
    expect(thrown('2').message).toBe("imageView2: at least one of parameters 'w' and 'h' is required (step 1)");
    expect(thrown('2/q/80').message).toContain("at least one of parameters 'w' and 'h'");
  });

  it.each(['w', 'h'])('rejects %p out of range or not an integer', (name) => {
    for (const token of ['0', '10000', '12.5', '1e3', '+3', '0x10', '-5', '', ' 5', '99999999999999999999999']) {
      const error = thrown(`2/${name}/${token}`);
      expect(error.message).toBe(
        `imageView2: parameter '${name}' must be an integer from 1 to 9999, got '${token}' (step 1)`,
      );
      expect(error.token).toBe(token);
    }
  });

  it('gives the example message from the brief', () => {
    expect(thrown('2/w/0').message).toBe("imageView2: parameter 'w' must be an integer from 1 to 9999, got '0' (step 1)");
  });

  it.each(['0', '101', '50!!', '!', 'abc', '7.5'])('rejects q %p', (token) => {
    expect(thrown(`2/w/10/q/${token}`).message).toBe(
      `imageView2: parameter 'q' must be an integer from 1 to 100, optionally followed by '!', got '${token}' (step 1)`,
    );
  });

  it.each(['PNG', 'jpe', 'heic', 'svg', ''])('rejects format %p', (token) => {
    expect(thrown(`2/w/10/format/${token}`).message).toBe(
      `imageView2: parameter 'format' must be one of jpg, png, webp, avif, gif, tiff, bmp, got '${token}' (step 1)`,
    );
  });

  it.each(['2', 'yes', ''])('rejects interlace %p', (token) => {
    expect(thrown(`2/w/10/interlace/${token}`).message).toBe(
      `imageView2: parameter 'interlace' must be 0 or 1, got '${token}' (step 1)`,
    );
  });

  it.each(['0', '2', 'true'])('rejects ignore-error %p', (token) => {
    expect(thrown(`2/w/10/ignore-error/${token}`).message).toBe(
      `imageView2: parameter 'ignore-error' must be 1, got '${token}' (step 1)`,
    );
  });

  it('rejects an unknown parameter and lists the known ones', () => {
    const error = thrown('2/w/10/quality/80');
    expect(error.message).toBe(
      "imageView2: unknown parameter 'quality'; expected one of w, h, format, interlace, q, ignore-error (step 1)",
    );
    expect(error.token).toBe('quality');
  });

  it('is case-sensitive about parameter names', () => {
    expect(thrown('2/W/10').message).toContain("unknown parameter 'W'");
  });

  it('rejects a repeated parameter, even with the same value', () => {
    const error = thrown('2/w/10/h/20/w/10');
    expect(error.message).toBe("imageView2: parameter 'w' is given more than once (step 1)");
  });

  it('rejects a parameter without a value', () => {
    expect(thrown('2/w/10/h').message).toBe("imageView2: parameter 'h' has no value (step 1)");
  });

  it('checks names before values, so a shifted pair is reported where it went wrong', () => {
    expect(thrown('2/w/h/10').message).toContain("unknown parameter '10'");
  });
});

describe('imageView2 format', () => {
  it('writes parameters in the fixed order', () => {
    expect(canonical('2/ignore-error/1/q/90!/interlace/1/format/png/h/960/w/640')).toBe(
      'imageView2/2/w/640/h/960/format/png/interlace/1/q/90!/ignore-error/1',
    );
  });

  it('gives every order of the same parameters the same text', () => {
    const pairs = ['w/640', 'h/480', 'format/webp', 'q/80'];
    const expected = canonical(`1/${pairs.join('/')}`);
    for (const order of [
      [3, 2, 1, 0],
      [1, 3, 0, 2],
      [2, 0, 3, 1],
    ]) {
      expect(canonical(`1/${order.map((i) => pairs[i]).join('/')}`)).toBe(expected);
    }
  });

  it('folds spellings of the same meaning', () => {
    expect(canonical('2/w/0640/format/jpeg/q/75/interlace/0')).toBe('imageView2/2/w/640/format/jpg');
  });

  it('keeps different meanings apart', () => {
    const texts = [
      '2/w/640',
      '1/w/640',
      '2/h/640',
      '2/w/641',
      '2/w/640/h/640',
      '2/w/640/format/png',
      '2/w/640/interlace/1',
      '2/w/640/q/80',
      '2/w/640/q/80!',
      '2/w/640/q/75!',
      '2/w/640/ignore-error/1',
    ];
    expect(new Set(texts.map(canonical)).size).toBe(texts.length);
  });

  it('round-trips its own output', () => {
    const text = canonical('3/h/5/q/10!/format/avif');
    expect(imageView2Command.format(parse(text.slice('imageView2/'.length)))).toBe(text);
  });

  it('writes hand-built args canonically too', () => {
    expect(imageView2Command.format({ mode: 0, w: 5, q: 75, qForce: false, interlace: false, ignoreError: false })).toBe(
      'imageView2/0/w/5',
    );
    expect(imageView2Command.format({ mode: 0, w: 5, qForce: true, ignoreError: false })).toBe('imageView2/0/w/5/q/75!');
  });
});
