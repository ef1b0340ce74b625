import { thrownSyntaxError } from './testing/syntax-error.expect';
import {
  type CropGeometry,
  type ThumbnailGeometry,
  cropForms,
  formatCropGeometry,
  formatThumbnailGeometry,
  isIdentityThumbnail,
  parseCropGeometry,
  parseThumbnailGeometry,
  thumbnailForms,
} from './image-mogr2.geometry';

const at = { command: 'imageMogr2', stepIndex: 2 };
const thumbnail = (token: string) => parseThumbnailGeometry(at, "parameter 'thumbnail'", token);
const crop = (token: string) => parseCropGeometry(at, "parameter 'crop'", token);

const thrown = (run: () => unknown) => thrownSyntaxError(run);

describe('thumbnail geometry', () => {
  it.each<[string, ThumbnailGeometry, string]>([
    // token, parsed, canonical
    ['!50p', { kind: 'scale', percent: 50 }, '!50p'],
    ['!50%', { kind: 'scale', percent: 50 }, '!50p'],
    ['!999p', { kind: 'scale', percent: 999 }, '!999p'],
    ['!1p', { kind: 'scale', percent: 1 }, '!1p'],
    ['!50px', { kind: 'scaleWidth', percent: 50 }, '!50px'],
    ['!50%x', { kind: 'scaleWidth', percent: 50 }, '!50px'],
    ['!x50p', { kind: 'scaleHeight', percent: 50 }, '!x50p'],
    ['!x50%', { kind: 'scaleHeight', percent: 50 }, '!x50p'],
    ['300x', { kind: 'width', width: 300 }, '300x'],
    ['x200', { kind: 'height', height: 200 }, 'x200'],
    ['300x200', { kind: 'fit', width: 300, height: 200 }, '300x200'],
    ['0300x0200', { kind: 'fit', width: 300, height: 200 }, '300x200'],
    ['!300x200r', { kind: 'cover', width: 300, height: 200 }, '!300x200r'],
    ['!300x200^', { kind: 'cover', width: 300, height: 200 }, '!300x200r'],
    ['300x200!', { kind: 'exact', width: 300, height: 200 }, '300x200!'],
    ['300x200>', { kind: 'shrink', width: 300, height: 200 }, '300x200>'],
    ['300x200<', { kind: 'enlarge', width: 300, height: 200 }, '300x200<'],
    ['1x1', { kind: 'fit', width: 1, height: 1 }, '1x1'],
    ['9999x9999!', { kind: 'exact', width: 9999, height: 9999 }, '9999x9999!'],
    ['10000@', { kind: 'area', pixels: 10000 }, '10000@'],
    ['25000000@', { kind: 'area', pixels: 25_000_000 }, '25000000@'],
  ])('reads %p', (token, parsed, canonical) => {
    expect(thumbnail(token)).toEqual(parsed);
    expect(formatThumbnailGeometry(parsed)).toBe(canonical);
    expect(thumbnail(canonical)).toEqual(parsed);
    expect(canonical.length).toBeLessThanOrEqual(token.length);
  });

  // Qiniu's zoom table (imageMogr2 › 缩放) has exactly these one-side percent forms: !<P>px scales the
  // width, !x<P>p the height (both read above). A '!<P>py' is no Qiniu form: refused, not guessed at.
  it.each(['!50py', '!y50p', '!50pxy'])('refuses %p, which is not in Qiniu\'s zoom table', (token) => {
    expect(thrown(() => thumbnail(token)).message).toContain(thumbnailForms);
  });

  it.each(['', 'x', '!', '!p', '50p', '50%', '!50', '!50pp', '!x50', '!50x50p', '300', '300X200', '300*200', '300x200r', '!300x200',
    '300x200!!', '300x200>!', '!300x200r!', '@', 'x@', '300x200@', '-300x200', '300x-200', '3e2x200', '300 x200', '300x200 ',
    '３００x200', 'x200x', '300xx200', '!x50px', '300x200%'])('rejects the form %p, listing every form', (token) => {
    const error = thrown(() => thumbnail(token));
    expect(error.message).toBe(`imageMogr2: parameter 'thumbnail' must be one of ${thumbnailForms}, got '${token}' (step 2)`);
    expect(error.token).toBe(token);
    expect(error.stepIndex).toBe(2);
  });

  it.each([
    ['!0p', 'percentage must be an integer from 1 to 999'],
    ['!1000p', 'percentage must be an integer from 1 to 999'],
    ['!0px', 'percentage must be an integer from 1 to 999'],
    ['!x1000p', 'percentage must be an integer from 1 to 999'],
    ['0x', 'width must be an integer from 1 to 9999'],
    ['x10000', 'height must be an integer from 1 to 9999'],
    ['10000x10', 'width must be an integer from 1 to 9999'],
    ['10x0', 'height must be an integer from 1 to 9999'],
    ['!0x10r', 'width must be an integer from 1 to 9999'],
    ['10x10000!', 'height must be an integer from 1 to 9999'],
    ['99999999999999999999x1>', 'width must be an integer from 1 to 9999'],
    ['0@', 'area must be an integer from 1 to 25000000'],
    ['25000001@', 'area must be an integer from 1 to 25000000'],
  ])('rejects the number in %p naming it and its range', (token, problem) => {
    expect(thrown(() => thumbnail(token)).message).toBe(`imageMogr2: parameter 'thumbnail' ${problem}, got '${token}' (step 2)`);
  });

  it('knows which geometries change nothing', () => {
    expect(isIdentityThumbnail(thumbnail('!100p'))).toBe(true);
    expect(isIdentityThumbnail(thumbnail('!100px'))).toBe(true);
    expect(isIdentityThumbnail(thumbnail('!x100p'))).toBe(true);
    expect(isIdentityThumbnail(thumbnail('!99p'))).toBe(false);
    expect(isIdentityThumbnail(thumbnail('100x100'))).toBe(false);
  });
});

describe('crop geometry', () => {
  it.each<[string, CropGeometry, string]>([
    ['300x', { width: 300, dx: 0, dy: 0 }, '300x'],
    ['x400', { height: 400, dx: 0, dy: 0 }, 'x400'],
    ['300x400', { width: 300, height: 400, dx: 0, dy: 0 }, '300x400'],
    ['!300x400a10a20', { width: 300, height: 400, dx: 10, dy: 20 }, '!300x400a10a20'],
    ['!300x400+10+20', { width: 300, height: 400, dx: 10, dy: 20 }, '!300x400a10a20'],
    ['!300x400-10a20', { width: 300, height: 400, dx: -10, dy: 20 }, '!300x400-10a20'],
    ['!300x400a10-20', { width: 300, height: 400, dx: 10, dy: -20 }, '!300x400a10-20'],
    ['!300x400-10-20', { width: 300, height: 400, dx: -10, dy: -20 }, '!300x400-10-20'],
    ['!300xa10a20', { width: 300, dx: 10, dy: 20 }, '!300xa10a20'],
    ['!x400-5a0', { height: 400, dx: -5, dy: 0 }, '!x400-5a0'],
    ['!300x400a0a0', { width: 300, height: 400, dx: 0, dy: 0 }, '300x400'],
    ['!300x400-0-0', { width: 300, height: 400, dx: 0, dy: 0 }, '300x400'],
    ['!0300x0400a010a020', { width: 300, height: 400, dx: 10, dy: 20 }, '!300x400a10a20'],
    ['9999x9999', { width: 9999, height: 9999, dx: 0, dy: 0 }, '9999x9999'],
    ['!1x1a99999a99999', { width: 1, height: 1, dx: 99999, dy: 99999 }, '!1x1a99999a99999'],
  ])('reads %p', (token, parsed, canonical) => {
    expect(crop(token)).toEqual(parsed);
    expect(formatCropGeometry(parsed)).toBe(canonical);
    expect(crop(canonical)).toEqual(parsed);
    expect(canonical.length).toBeLessThanOrEqual(token.length);
  });

  it.each(['', 'x', '300', '!300x400', '300x400a10a20', '!300x400a10', '!300x400aa10a20', '!300x400a10b20', '!xa1a1',
    '300x400!', '!300x400a-10a20', '300X400', '300x400x', '!300x400a1.5a2', '300 x 400'])('rejects the form %p', (token) => {
    const error = thrown(() => crop(token));
    expect(error.message).toBe(`imageMogr2: parameter 'crop' must be one of ${cropForms}, got '${token}' (step 2)`);
    expect(error.token).toBe(token);
  });

  it.each([
    ['0x400', 'width must be an integer from 1 to 9999'],
    ['300x0', 'height must be an integer from 1 to 9999'],
    ['10000x', 'width must be an integer from 1 to 9999'],
    ['!300x400a100000a0', 'x offset must be an integer from 0 to 99999'],
    ['!300x400a0-100000', 'y offset must be an integer from 0 to 99999'],
  ])('rejects the number in %p', (token, problem) => {
    expect(thrown(() => crop(token)).message).toBe(`imageMogr2: parameter 'crop' ${problem}, got '${token}' (step 2)`);
  });
});
