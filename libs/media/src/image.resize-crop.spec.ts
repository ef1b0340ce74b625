import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import type { Rect, Size } from './gravity.placement';
import { ImageProcessor } from './image.processor';
import { noisyJpeg } from './image-test-images.fixture';

// A thumbnail of a large JPEG is cheap because libjpeg shrinks it while decoding (by 1/4 here).
// That shows in the pixels: a picture shrunk on load differs from the same resize of the fully
// decoded picture by several levels on average, so "the result equals the shrunk-on-load
// reference, and that reference is not the full decode" fails the moment a change to the
// pipeline makes sharp decode every pixel again, without timing anything.

const processor = new ImageProcessor();
const run = (fop: string, input: Buffer) => processor.run(parsePipeline(fop).steps, input);

/** Stored 1200×900 (shown 900×1200 for orientations 5–8); a 150-px cover thumbnail is a 1/6 scale. */
const STORED = { width: 1200, height: 900 };

let stored: Buffer;
beforeAll(async () => {
  stored = await noisyJpeg(STORED.width, STORED.height, 90);
});

/** The stored noise photo tagged with EXIF `orientation`. */
function tagged(orientation: number): Promise<Buffer> {
  return sharp(stored).withMetadata({ orientation }).jpeg({ quality: 90, mozjpeg: false }).toBuffer();
}

/** Raw RGB pixels of a PNG result. */
function pixels(png: Buffer): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer();
}

/** Turned upright and resized by sharp in one pass (which shrinks on load), then cropped in a second. */
async function shrunkOnLoad(jpeg: Buffer, size: Size, crop: Rect): Promise<Buffer> {
  const resized = await sharp(jpeg).autoOrient().resize(size.width, size.height, { fit: 'fill' }).png().toBuffer();
  return sharp(resized).extract(crop).removeAlpha().raw().toBuffer();
}

/** The same, from every pixel decoded at full size first. */
async function fullyDecoded(jpeg: Buffer, size: Size, crop: Rect): Promise<Buffer> {
  const { data, info } = await sharp(jpeg).autoOrient().raw().toBuffer({ resolveWithObject: true });
  const resized = await sharp(data, { raw: info }).resize(size.width, size.height, { fit: 'fill' }).png().toBuffer();
  return sharp(resized).extract(crop).removeAlpha().raw().toBuffer();
}

function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Upright size of the stored photo under `orientation`. */
function upright(orientation: number): Size {
  return orientation >= 5 ? { width: STORED.height, height: STORED.width } : { ...STORED };
}

describe('thumbnails decode the JPEG shrunk on load, turned upright after the resize', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('imageView2/1 of a photo tagged with orientation %p', async (orientation) => {
    const jpeg = await tagged(orientation);
    const shown = upright(orientation);
    // Cover 150×150: the short side to 150, the long one to 200, then the centre 150×150.
    const size = shown.width > shown.height ? { width: 200, height: 150 } : { width: 150, height: 200 };
    const crop = shown.width > shown.height ? { left: 25, top: 0, width: 150, height: 150 } : { left: 0, top: 25, width: 150, height: 150 };

    const output = await run('imageView2/1/w/150/h/150/format/png', jpeg);

    const expected = await shrunkOnLoad(jpeg, size, crop);
    expect((await pixels(output.data)).equals(expected)).toBe(true);
    // The reference itself must tell the two decodes apart, or the equality above proves nothing.
    expect(meanDifference(expected, await fullyDecoded(jpeg, size, crop))).toBeGreaterThan(1);
  });

  it.each([1, 6])('imageMogr2 auto-orient, cover thumbnail and crop of a photo tagged with orientation %p', async (orientation) => {
    const jpeg = await tagged(orientation);
    const shown = upright(orientation);
    const size = shown.width > shown.height ? { width: 200, height: 150 } : { width: 150, height: 200 };
    const crop = { left: 0, top: 0, width: 150, height: 150 };

    const output = await run('imageMogr2/auto-orient/thumbnail/!150x150r/crop/150x150/format/png', jpeg);

    const expected = await shrunkOnLoad(jpeg, size, crop);
    expect((await pixels(output.data)).equals(expected)).toBe(true);
    expect(meanDifference(expected, await fullyDecoded(jpeg, size, crop))).toBeGreaterThan(1);
  });

  it('a crop without a resize is taken of the picture already turned upright', async () => {
    const jpeg = await tagged(6);
    const output = await run('imageMogr2/auto-orient/crop/!100x50a10a700/format/png', jpeg);
    const { data, info } = await sharp(jpeg).autoOrient().raw().toBuffer({ resolveWithObject: true });
    const expected = await sharp(data, { raw: info }).extract({ left: 10, top: 700, width: 100, height: 50 }).raw().toBuffer();
    expect((await pixels(output.data)).equals(expected)).toBe(true);
  });
});
