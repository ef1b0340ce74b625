import { commandTester } from './testing/syntax-error.expect';
import { vsampleCommand } from './vsample.command';
import { parsePipeline } from './pipeline';
import { isAsyncOnly } from './object-set.step';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const { parse, canonical, thrown } = commandTester(vsampleCommand);

// Qiniu's vsample page (dora/api/video-sampling-thumbnails-vsample): ss, t, s (a side may be
// empty), rotate, interval (default 5 s) or frames (not both), savePattern with $(count).
// `tile` is Fopflow's extension for sprite sheets.
describe('vsample parse', () => {
  it('reads every parameter', () => {
    expect(parse(`jpg/ss/1.5/t/10/s/320x180/rotate/90/interval/0.5/savePattern/${b64('shots/$(count).jpg')}/tile/4x3`)).toEqual({
      format: 'jpg',
      startMs: 1500,
      durationMs: 10_000,
      width: 320,
      height: 180,
      rotate: 90,
      intervalMs: 500,
      pattern: 'shots/$(count).jpg',
      tile: { columns: 4, rows: 3 },
    });
  });

  it('defaults to a snapshot every 5 s and takes one side of s alone', () => {
    expect(parse('png')).toEqual({ format: 'png', intervalMs: 5000 });
    expect(parse('jpg/s/480x')).toMatchObject({ width: 480 });
    expect(parse('jpg/s/x360')).toMatchObject({ height: 360 });
    expect(parse('jpg/frames/10')).toEqual({ format: 'jpg', frames: 10 });
  });

  it('writes one canonical text for one meaning', () => {
    expect(canonical('jpeg/interval/5/ss/0/rotate/auto')).toBe('vsample/jpg');
    expect(canonical(`jpg/savePattern/${b64('a$(count).jpg')}`)).toBe(`vsample/jpg/pattern/${b64('a$(count).jpg')}`);
    const text = `vsample/png/ss/2/t/4/s/x90/rotate/270/interval/1/pattern/${b64('p/$(count).png')}/tile/2x2`;
    expect(canonical(text.slice('vsample/'.length))).toBe(text);
  });

  it('runs only in async jobs, as the last step', () => {
    expect(vsampleCommand.syncAllowed).toBe(false);
    expect(isAsyncOnly(parsePipeline('vsample/jpg').steps[0])).toBe(true);
    expect(() => parsePipeline('vsample/jpg|avinfo')).toThrow('must be the last step');
  });
});

describe('vsample errors', () => {
  it.each([
    ['', 'vsample: format (jpg or png) is required as the first value (step 1)'],
    ['gif', "vsample: format must be one of jpg, png, got 'gif' (step 1)"],
    ['jpg/interval/1/frames/3', "vsample: parameters 'interval' and 'frames' cannot be used together (step 1)"],
    ['jpg/interval/0.05', "vsample: parameter 'interval' must be seconds from 0.1 to 86400 with at most 3 decimals, got '0.05' (step 1)"],
    ['jpg/frames/0', "vsample: parameter 'frames' must be an integer from 1 to 10000, got '0' (step 1)"],
    ['jpg/s/x', "vsample: parameter 's' must be <width>x<height>, <width>x or x<height> with the long side 20 to 3840 and the short side 20 to 2160, got 'x' (step 1)"],
    ['jpg/s/10x100', "vsample: parameter 's' must be <width>x<height>, <width>x or x<height> with the long side 20 to 3840 and the short side 20 to 2160, got '10x100' (step 1)"],
    ['jpg/rotate/45', "vsample: parameter 'rotate' must be one of 90, 180, 270, auto, got '45' (step 1)"],
    ['jpg/tile/1x1', "vsample: parameter 'tile' must be <cols>x<rows>, each 1 to 20 and at least 2 snapshots a sheet, got '1x1' (step 1)"],
    ['jpg/tile/21x2', "vsample: parameter 'tile' must be <cols>x<rows>, each 1 to 20 and at least 2 snapshots a sheet, got '21x2' (step 1)"],
    [`jpg/pattern/${b64('a.jpg')}`, "vsample: parameter 'pattern' must hold $(count) (the member's six-digit number), got 'a.jpg' (step 1)"],
    [`jpg/pattern/${b64('a$(count)')}/savePattern/${b64('b$(count)')}`, "vsample: parameters 'pattern' and 'savePattern' name the same thing; give one (step 1)"],
  ])('%p is refused', (text, message) => {
    expect(thrown(text).message).toBe(message);
  });
});
