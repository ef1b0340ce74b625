import { commandTester } from './testing/syntax-error.expect';
import { imageMogr2Command } from './image-mogr2.command';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const { parse, canonical, thrown } = commandTester(imageMogr2Command);

describe('imageMogr2 spec', () => {
  it('is an image command producing media', () => {
    expect(imageMogr2Command).toMatchObject({ name: 'imageMogr2', family: 'image', output: 'media' });
  });
});

describe('imageMogr2 parse', () => {
  it('reads every option', () => {
    const text = [
      'auto-orient',
      'thumbnail/!50p',
      'strip',
      'gravity/SouthEast',
      'crop/!300x400a10-20',
      'rotate/90',
      'format/webp',
      'blur/3x5',
      'interlace/1',
      'quality/80!',
      'size-limit/15k!',
      'sharpen/1',
      `background/${b64('#FF0000')}`,
    ].join('/');
    expect(parse(text)).toEqual({
      autoOrient: true,
      thumbnail: { kind: 'scale', percent: 50 },
      strip: true,
      gravity: 'SouthEast',
      crop: { width: 300, height: 400, dx: 10, dy: -20 },
      rotate: 90,
      format: 'webp',
      blur: { radius: 3, sigma: 5 },
      interlace: true,
      quality: { value: 80, forced: true },
      sizeLimit: { bytes: 15 * 1024, keepSmaller: true },
      sharpen: true,
      background: { r: 255, g: 0, b: 0, a: 255 },
    });
  });

  it('accepts no options at all (a plain re-encode)', () => {
    expect(parse('')).toEqual({});
    expect(imageMogr2Command.format({})).toBe('imageMogr2');
  });

  // Qiniu (dora, imageMogr2 › size-limit): "$(fsize)" is a magic variable for the source's size.
  it.each([
    ['$(fsize)', false],
    ['$(fsize)!', true],
    ['%24(fsize)', false],
    ['%24%28fsize%29%21', true],
  ])('reads size-limit %p as the source size, keepSmaller %p', (token, keepSmaller) => {
    expect(parse(`size-limit/${token}`).sizeLimit).toEqual({ bytes: 'source', keepSmaller });
  });

  it.each(['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff', 'avif'])('accepts format %p', (format) => {
    expect(parse(`format/${format}`).format).toBe(format);
  });

  it('reads jpeg as jpg and lower-case gravity as its CamelCase name', () => {
    expect(parse('format/jpeg').format).toBe('jpg');
    expect(parse('gravity/southeast/crop/10x10').gravity).toBe('SouthEast');
  });

  it.each([
    ['1', 1],
    ['15k', 15 * 1024],
    ['2m', 2 * 1024 * 1024],
    ['1024m', 1024 * 1024 * 1024],
    ['1073741824', 1024 * 1024 * 1024],
  ])('reads size-limit %p as %p bytes', (token, bytes) => {
    expect(parse(`size-limit/${token}`).sizeLimit).toEqual({ bytes, keepSmaller: false });
    expect(parse(`size-limit/${token}!`).sizeLimit).toEqual({ bytes, keepSmaller: true });
  });

  it.each([
    ['#FFF', { r: 255, g: 255, b: 255, a: 255 }],
    ['#ff000080', { r: 255, g: 0, b: 0, a: 128 }],
    ['none', { r: 0, g: 0, b: 0, a: 0 }],
    ['gray', { r: 126, g: 126, b: 126, a: 255 }],
  ])('reads background %p', (colour, expected) => {
    const args = parse(`background/${b64(colour)}`);
    if (colour === '#FFF') expect(args.background).toBeUndefined(); // white is the default
    else expect(args.background).toEqual(expected);
  });

  it('folds what changes nothing, so equal requests share one cache key', () => {
    expect(parse('thumbnail/!100p')).toEqual({});
    expect(parse('rotate/360')).toEqual({});
    expect(parse('quality/75')).toEqual({});
    expect(parse('interlace/0')).toEqual({});
    expect(parse('sharpen/0')).toEqual({});
    expect(parse(`background/${b64('white')}`)).toEqual({});
    expect(parse('gravity/Center')).toEqual({}); // gravity only moves a crop
    expect(parse('gravity/NorthWest/crop/10x10')).toEqual({ crop: { width: 10, height: 10, dx: 0, dy: 0 } });
    expect(parse('quality/75!')).toEqual({ quality: { value: 75, forced: true } });
  });
});

describe('imageMogr2 errors', () => {
  // Not supported (docs/qiniu-conformance.md): refused by name rather than silently ignored.
  it.each(['colors/256', 'dither/1'])('refuses Qiniu\'s %p as an unknown option', (text) => {
    expect(thrown(text).message).toContain(`unknown option '${text.split('/')[0]}'`);
  });

  it('rejects an unknown option and lists them all in the fixed order', () => {
    const error = thrown('thumbnail/10x/w/5');
    expect(error.message).toBe(
      "imageMogr2: unknown option 'w'; expected one of auto-orient, thumbnail, strip, gravity, crop, rotate, format, blur, " +
        'interlace, quality, size-limit, sharpen, background, ignore-error (step 1)',
    );
    expect(error.token).toBe('w');
  });

  it('rejects a repeated option and an option without its value', () => {
    expect(thrown('strip/strip').message).toBe("imageMogr2: option 'strip' is given more than once (step 1)");
    expect(thrown('rotate/90/rotate/90').message).toBe("imageMogr2: option 'rotate' is given more than once (step 1)");
    expect(thrown('strip/rotate').message).toBe("imageMogr2: parameter 'rotate' has no value (step 1)");
  });

  it('reads ignore-error/1 and writes it last; ignore-error/0 changes nothing', () => {
    expect(parse('ignore-error/1/thumbnail/10x')).toMatchObject({ ignoreError: true });
    expect(canonical('ignore-error/1/thumbnail/10x')).toBe('imageMogr2/thumbnail/10x/ignore-error/1');
    expect(canonical('thumbnail/10x/ignore-error/0')).toBe('imageMogr2/thumbnail/10x');
    expect(thrown('ignore-error/2').message).toMatch(/parameter 'ignore-error' must be 0 or 1, got '2'/);
  });

  it('takes auto-orient and strip without a value', () => {
    expect(thrown('strip/1').message).toContain("unknown option '1'");
  });

  it('is case-sensitive about option names', () => {
    expect(thrown('Rotate/90').message).toContain("unknown option 'Rotate'");
  });

  it.each([
    ['rotate', '0', "parameter 'rotate' must be an integer from 1 to 360"],
    ['rotate', '361', "parameter 'rotate' must be an integer from 1 to 360"],
    ['rotate', '-90', "parameter 'rotate' must be an integer from 1 to 360"],
    ['rotate', '45.5', "parameter 'rotate' must be an integer from 1 to 360"],
    ['format', 'heic', "parameter 'format' must be one of jpg, png, webp, avif, gif, tiff, bmp"],
    ['format', 'PNG', "parameter 'format' must be one of jpg, png, webp, avif, gif, tiff, bmp"],
    ['gravity', 'Middle', "parameter 'gravity' must be one of NorthWest, North, NorthEast, West, Center, East, SouthWest, South, SouthEast"],
    ['interlace', '2', "parameter 'interlace' must be 0 or 1"],
    ['sharpen', '50', "parameter 'sharpen' must be 0 or 1"],
    ['quality', '0', "parameter 'quality' must be an integer from 1 to 100, optionally followed by '!'"],
    ['quality', '101!', "parameter 'quality' must be an integer from 1 to 100, optionally followed by '!'"],
    ['quality', '80!!', "parameter 'quality' must be an integer from 1 to 100, optionally followed by '!'"],
  ])('rejects %s/%s naming the parameter and its range', (name, token, problem) => {
    const error = thrown(`${name}/${token}`, 3);
    expect(error.message).toBe(`imageMogr2: ${problem}, got '${token}' (step 3)`);
    expect(error.token).toBe(token);
    expect(error.stepIndex).toBe(3);
  });

  // Qiniu's imageMogr2 page: radius 1-50, sigma "must be greater than 0" (a standard deviation, so fractional).
  it('takes a fractional sigma above 0 and writes it in its shortest form', () => {
    expect(parse('blur/3x0.5')).toMatchObject({ blur: { radius: 3, sigma: 0.5 } });
    expect(canonical('blur/3x1.50')).toBe('imageMogr2/blur/3x1.5');
    expect(canonical('blur/3x2.0')).toBe('imageMogr2/blur/3x2');
  });

  it.each(['0x5', '51x5', '5x0', '5x0.0', '5x51', '5x50.5', '5', 'x5', '5x', '5.5x2', '-1x2', '3X5', '3x1.234', '3x.5', '3x1.'])('rejects blur %p', (token) => {
    expect(thrown(`blur/${token}`).message).toBe(
      `imageMogr2: parameter 'blur' must be <radius>x<sigma>: radius an integer from 1 to 50, sigma above 0 and at most 50 (two decimals at most), got '${token}' (step 1)`,
    );
  });

  it.each(['0', '0k', '1025m', '1073741825', '15K', '15kb', '15k!!', 'k', '!', '1.5m', '-1', '', '$(fsize)!!', '$(FSIZE)',
    '$fsize', '$(fsize)k', '%24(fsize', '%E0%A4%A'])('rejects size-limit %p', (token) => {
    expect(thrown(`size-limit/${token}`).message).toBe(
      "imageMogr2: parameter 'size-limit' must be a byte count from 1 to 1073741824 (1024m), optionally followed by k or m, " +
        `or $(fsize) (the source's size); then optionally '!', got '${token}' (step 1)`,
    );
  });

  it.each([b64('#12345'), b64('teal'), b64('#GGGGGG'), b64(' #FFF'), '***', '', 'a'])('rejects background %p', (token) => {
    const error = thrown(`background/${token}`);
    expect(error.message).toMatch(/^imageMogr2: parameter 'background' must be .*URL-safe base64/);
    expect(error.message).toContain('#RGB, #RRGGBB, #RRGGBBAA or one of transparent, none, white');
    expect(error.token).toBe(token);
  });

  it('reports geometry errors as thumbnail or crop errors', () => {
    expect(thrown('thumbnail/abc').message).toMatch(/^imageMogr2: parameter 'thumbnail' must be one of !<P>p, /);
    expect(thrown('crop/abc').message).toMatch(/^imageMogr2: parameter 'crop' must be one of <W>x, /);
  });
});

describe('imageMogr2 format', () => {
  it('writes options in Qiniu\'s fixed order whatever the order given', () => {
    const pairs = ['background/' + b64('red'), 'sharpen/1', 'size-limit/2048', 'quality/90', 'interlace/1', 'blur/2x3',
      'format/png', 'rotate/45', 'crop/!10x10a1a1', 'gravity/Center', 'strip', 'thumbnail/300x', 'auto-orient'];
    const expected =
      `imageMogr2/auto-orient/thumbnail/300x/strip/gravity/Center/crop/!10x10a1a1/rotate/45/format/png/blur/2x3/` +
      `interlace/1/quality/90/size-limit/2k/sharpen/1/background/${b64('red')}`;
    expect(canonical(pairs.join('/'))).toBe(expected);
    expect(canonical([...pairs].reverse().join('/'))).toBe(expected);
  });

  it('folds spellings of the same meaning', () => {
    expect(canonical('thumbnail/!50%25'.replace('%25', '%'))).toBe('imageMogr2/thumbnail/!50p');
    expect(canonical('crop/!10x10+0+0')).toBe('imageMogr2/crop/10x10');
    expect(canonical('size-limit/1048576!')).toBe('imageMogr2/size-limit/1m!');
    expect(canonical('size-limit/%24(fsize)!/format/jpeg')).toBe('imageMogr2/format/jpg/size-limit/$(fsize)!');
    expect(canonical('size-limit/%24%28fsize%29')).toBe('imageMogr2/size-limit/$(fsize)');
    expect(canonical(`background/${b64('#ff0000')}`)).toBe(`imageMogr2/background/${b64('red')}`);
    expect(canonical(`background/${b64('#00000000')}`)).toBe(`imageMogr2/background/${b64('none')}`);
    expect(canonical('format/jpeg/quality/075')).toBe('imageMogr2/format/jpg');
  });

  it('keeps different meanings apart', () => {
    const texts = ['', 'auto-orient', 'strip', 'thumbnail/10x', 'thumbnail/x10', 'crop/10x', 'gravity/East/crop/10x', 'rotate/90',
      'rotate/270', 'format/png', 'blur/1x2', 'blur/2x1', 'interlace/1', 'quality/80', 'quality/80!', 'quality/75!',
      'size-limit/1k', 'size-limit/1k!', 'size-limit/$(fsize)', 'size-limit/$(fsize)!', 'sharpen/1', `background/${b64('black')}`];
    expect(new Set(texts.map(canonical)).size).toBe(texts.length);
  });

  it('round-trips its own output', () => {
    const text = canonical(`strip/crop/!5x5-1-2/gravity/South/quality/10!/size-limit/%24(fsize)!/background/${b64('#12345678')}`);
    expect(text).toContain('/size-limit/$(fsize)!/');
    expect(canonical(text.slice('imageMogr2/'.length))).toBe(text);
  });
});
