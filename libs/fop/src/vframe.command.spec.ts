import { commandTester } from './testing/syntax-error.expect';
import { vframeCommand } from './vframe.command';

const { parse, canonical, thrown } = commandTester(vframeCommand);

describe('vframe', () => {
  it('is an av command producing media', () => {
    expect(vframeCommand).toMatchObject({ name: 'vframe', family: 'av', output: 'media' });
  });

  it('reads every parameter', () => {
    expect(parse('jpg/offset/7.25/w/480/h/360/rotate/270')).toEqual({ format: 'jpg', offsetMs: 7250, w: 480, h: 360, rotate: 270 });
    expect(parse('png/offset/0')).toEqual({ format: 'png', offsetMs: 0 });
  });

  // Qiniu's vframe page: of w and h, the long edge lies in [20, 3840], the short edge in [20, 2160],
  // whichever of the two is the long one.
  it('bounds the long edge of w and h to 20-3840 and the short edge to 20-2160, landscape or portrait', () => {
    expect(parse('jpg/offset/1/w/3840/h/2160')).toMatchObject({ w: 3840, h: 2160 });
    expect(parse('jpg/offset/1/w/2160/h/3840')).toMatchObject({ w: 2160, h: 3840 });
    expect(parse('jpg/offset/1/w/20/h/20')).toMatchObject({ w: 20, h: 20 });
    expect(parse('jpg/offset/1/h/3840')).toMatchObject({ h: 3840 });
    expect(thrown('jpg/offset/1/w/2161/h/3840').message).toBe(
      'vframe: the short edge of w and h must be at most 2160 (long edge 20-3840, short edge 20-2160), got 2161x3840 (step 1)',
    );
    expect(thrown('jpg/offset/1/w/3000/h/2200').token).toBe('2200');
  });

  it('folds spellings of the same meaning and writes a fixed order', () => {
    expect(canonical('jpeg/rotate/auto/h/0360/offset/01.500')).toBe('vframe/jpg/offset/1.5/h/360');
    expect(canonical('png/rotate/90/w/20/offset/2')).toBe('vframe/png/offset/2/w/20/rotate/90');
  });

  it('requires a format and an offset', () => {
    expect(thrown('').message).toBe('vframe: format (jpg or png) is required as the first value (step 1)');
    expect(thrown('gif/offset/1').message).toBe("vframe: format must be one of jpg, png, got 'gif' (step 1)");
    expect(thrown('jpg').message).toBe("vframe: parameter 'offset' (seconds into the video) is required (step 1)");
    expect(thrown('jpg/w/100').message).toBe("vframe: parameter 'offset' (seconds into the video) is required (step 1)");
  });

  it.each([
    ['offset', '-1', 'must be seconds from 0 to 86400 with at most 3 decimals'],
    ['offset', '1.0001', 'must be seconds from 0 to 86400 with at most 3 decimals'],
    ['w', '19', 'must be an integer from 20 to 3840'],
    ['w', '3841', 'must be an integer from 20 to 3840'],
    ['h', '3841', 'must be an integer from 20 to 3840'],
    ['h', '12.5', 'must be an integer from 20 to 3840'],
    ['rotate', '45', 'must be one of 90, 180, 270, auto'],
  ])('refuses %s %p', (name, token, problem) => {
    const text = name === 'offset' ? `jpg/offset/${token}` : `jpg/offset/1/${name}/${token}`;
    const error = thrown(text);
    expect(error.message).toBe(`vframe: parameter '${name}' ${problem}, got '${token}' (step 1)`);
    expect(error.token).toBe(token);
  });

  it('rejects unknown and repeated parameters', () => {
    expect(thrown('jpg/offset/1/q/80').message).toBe("vframe: unknown parameter 'q'; expected one of offset, w, h, rotate (step 1)");
    expect(thrown('jpg/offset/1/offset/2').message).toBe("vframe: parameter 'offset' is given more than once (step 1)");
  });
});
