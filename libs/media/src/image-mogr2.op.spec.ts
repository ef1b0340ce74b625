import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaError } from './media.errors';
import {
  BLUE,
  GREEN,
  RED,
  WHITE,
  expectColour,
  noisyJpeg,
  paint,
  pixelAt,
  quadrants,
} from './image-test-images.fixture';

const processor = new ImageProcessor();
const mogr2 = (options: string, input: Buffer) => processor.run(parsePipeline(`imageMogr2/${options}`).steps, input);
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const size = async (image: Buffer) => {
  const { width, height, format, pages } = await sharp(image).metadata();
  return { width, height: height, format, pages: pages ?? 1 };
};

async function rejected(promise: Promise<unknown>): Promise<MediaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MediaError);
    return error as MediaError;
  }
  throw new Error('expected a MediaError');
}

let picture: Buffer; // 200×100 PNG: red | green over blue | white

beforeAll(async () => {
  picture = await quadrants(200, 100);
});

describe('imageMogr2 thumbnail (conformance with the geometry table)', () => {
  it.each([
    ['!50p', 100, 50],
    ['!50px', 100, 100],
    ['!x50p', 200, 50],
    ['50x', 50, 25],
    ['x50', 100, 50],
    ['50x50', 50, 25],
    ['!50x50r', 100, 50],
    ['50x50!', 50, 50],
    ['400x400>', 200, 100],
    ['100x100>', 100, 50],
    ['400x400<', 400, 200],
    ['100x400<', 200, 100],
    ['5000@', 100, 50],
  ])('thumbnail/%s makes %p×%p', async (geometry, width, height) => {
    const output = await mogr2(`thumbnail/${geometry}`, picture);
    expect(output.mime).toBe('image/png');
    expect(await size(output.data)).toMatchObject({ width, height, format: 'png' });
  });

  it('keeps the picture while scaling it', async () => {
    const output = await mogr2('thumbnail/!50p', picture);
    expectColour(await pixelAt(output.data, 10, 10), RED);
    expectColour(await pixelAt(output.data, 90, 40), WHITE);
  });
});

describe('imageMogr2 crop', () => {
  it.each([
    ['crop/100x50', RED, 100, 50],
    ['gravity/NorthEast/crop/100x50', GREEN, 100, 50],
    ['gravity/SouthWest/crop/100x50', BLUE, 100, 50],
    ['gravity/SouthEast/crop/100x50', WHITE, 100, 50],
    ['crop/!100x50a100a50', WHITE, 100, 50],
    ['gravity/SouthEast/crop/!100x50-100a0', BLUE, 100, 50],
    ['gravity/Center/crop/!40x20-60-20', RED, 40, 20],
  ])('%s takes the expected region', async (options, colour, width, height) => {
    const output = await mogr2(options, picture);
    expect(await size(output.data)).toMatchObject({ width, height });
    for (const [x, y] of [[0, 0], [width - 1, height - 1], [width >> 1, height >> 1]]) expectColour(await pixelAt(output.data, x, y), colour, 0);
  });

  it('takes a whole side with <W>x and x<H>', async () => {
    expect(await size((await mogr2('crop/50x', picture)).data)).toMatchObject({ width: 50, height: 100 });
    expect(await size((await mogr2('gravity/South/crop/x30', picture)).data)).toMatchObject({ width: 200, height: 30 });
  });

  it('clips a box reaching past the edge', async () => {
    expect(await size((await mogr2('crop/!100x100a150a0', picture)).data)).toMatchObject({ width: 50, height: 100 });
  });

  it('refuses a box wholly outside the image with 400', async () => {
    const error = await rejected(mogr2('crop/!10x10a500a0', picture));
    expect(error.status).toBe(400);
    expect(error.message).toBe('crop region lies outside the 200x100 image (gravity NorthWest)');
  });

  it('crops the thumbnail, not the source, whatever the order written', async () => {
    for (const options of ['thumbnail/!50p/crop/50x25', 'crop/50x25/thumbnail/!50p']) {
      const output = await mogr2(options, picture);
      expect(await size(output.data)).toMatchObject({ width: 50, height: 25 });
      expectColour(await pixelAt(output.data, 25, 12), RED, 0);
    }
  });
});

describe('imageMogr2 rotate and auto-orient', () => {
  it.each([
    [90, 100, 200, BLUE],
    [180, 200, 100, WHITE],
    [270, 100, 200, GREEN],
  ])('rotate/%p turns clockwise', async (degrees, width, height, topLeft) => {
    const output = await mogr2(`rotate/${degrees}`, picture);
    expect(await size(output.data)).toMatchObject({ width, height });
    expectColour(await pixelAt(output.data, 2, 2), topLeft, 0);
  });

  it('rotates after thumbnail and crop, in Qiniu\'s order', async () => {
    const output = await mogr2('rotate/90/crop/!50x25a50a0/thumbnail/!50p', picture);
    expect(await size(output.data)).toMatchObject({ width: 25, height: 50 });
    expectColour(await pixelAt(output.data, 12, 25), GREEN, 0);
  });

  it('fills the corners of an odd angle with the background, white by default', async () => {
    const jpeg = await quadrants(200, 100, 'jpeg');
    const plain = await mogr2('rotate/45', jpeg);
    expect(await size(plain.data)).toMatchObject({ width: 212, height: 212, format: 'jpeg' });
    expectColour(await pixelAt(plain.data, 1, 1), WHITE);
    const red = await mogr2(`rotate/45/background/${b64('red')}`, jpeg);
    expectColour(await pixelAt(red.data, 1, 1), RED);
    const clear = await mogr2(`rotate/45/background/${b64('none')}`, picture);
    expect((await pixelAt(clear.data, 1, 1))[3]).toBe(0);
  });

  describe('on an EXIF-rotated JPEG (orientation 6: stored landscape, shown portrait)', () => {
    let rotatedJpeg: Buffer;
    beforeAll(async () => {
      rotatedJpeg = await sharp(await quadrants(200, 100, 'jpeg')).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    });

    it('auto-orient turns the pixels upright and resets the tag', async () => {
      const output = await mogr2('auto-orient', rotatedJpeg);
      const metadata = await sharp(output.data).metadata();
      expect([metadata.width, metadata.height, metadata.orientation ?? 1]).toEqual([100, 200, 1]);
      expectColour(await pixelAt(output.data, 5, 5), BLUE);
      expectColour(await pixelAt(output.data, 95, 5), RED);
    });

    it('auto-orient comes first: thumbnail sizes refer to the upright image', async () => {
      const output = await mogr2('thumbnail/50x/auto-orient', rotatedJpeg);
      expect(await size(output.data)).toMatchObject({ width: 50, height: 100 });
    });

    it('without auto-orient the pixels and the tag stay as stored', async () => {
      const metadata = await sharp((await mogr2('thumbnail/!50p', rotatedJpeg)).data).metadata();
      expect([metadata.width, metadata.height, metadata.orientation]).toEqual([100, 50, 6]);
    });

    it('strip drops the metadata, tag included', async () => {
      const metadata = await sharp((await mogr2('strip', rotatedJpeg)).data).metadata();
      expect(metadata.orientation).toBeUndefined();
      expect(metadata.exif).toBeUndefined();
    });
  });
});

describe('imageMogr2 format, alpha and metadata', () => {
  it.each([
    ['jpg', 'image/jpeg', 'jpeg'],
    ['png', 'image/png', 'png'],
    ['webp', 'image/webp', 'webp'],
    ['gif', 'image/gif', 'gif'],
    ['tiff', 'image/tiff', 'tiff'],
    ['avif', 'image/avif', 'heif'],
  ])('format/%s writes %s', async (format, mime, sharpFormat) => {
    const output = await mogr2(`format/${format}`, picture);
    expect(output.mime).toBe(mime);
    expect(await size(output.data)).toMatchObject({ width: 200, height: 100, format: sharpFormat });
  });

  it('format/bmp writes a 24-bit bitmap libvips cannot', async () => {
    const output = await mogr2('thumbnail/!10p/format/bmp', picture);
    expect(output.mime).toBe('image/bmp');
    expect(output.data.subarray(0, 2).toString('latin1')).toBe('BM');
    expect([output.data.readInt32LE(18), output.data.readInt32LE(22), output.data.readUInt16LE(28)]).toEqual([20, 10, 24]);
    // Bottom row first, BGR: the bottom-left pixel is blue.
    expect([...output.data.subarray(54, 57)]).toEqual([255, 0, 0]);
  });

  it('keeps alpha in formats that have it, and flattens onto the background in those that do not', async () => {
    const half = await sharp(paint(20, 20, (x) => (x < 10 ? [0, 0, 255, 0] : RED)), { raw: { width: 20, height: 20, channels: 4 } }).png().toBuffer();
    const png = await mogr2('thumbnail/!50p', half);
    expect((await sharp(png.data).metadata()).hasAlpha).toBe(true);
    expect((await pixelAt(png.data, 1, 5))[3]).toBe(0);
    expectColour(await pixelAt((await mogr2('format/jpg', half)).data, 2, 5), WHITE);
    expectColour(await pixelAt((await mogr2(`format/jpg/background/${b64('#00F')}`, half)).data, 2, 5), BLUE);
  });

  it('keeps EXIF unless strip is given', async () => {
    const withExif = await sharp(picture).withExif({ IFD0: { Make: 'Fopflow Camera' } }).jpeg().toBuffer();
    expect((await sharp((await mogr2('thumbnail/!50p', withExif)).data).metadata()).exif?.toString('latin1')).toContain('Fopflow Camera');
    expect((await sharp((await mogr2('thumbnail/!50p/strip', withExif)).data).metadata()).exif).toBeUndefined();
  });

  it('interlace/1 writes a progressive JPEG and an interlaced PNG', async () => {
    expect((await sharp((await mogr2('format/jpg/interlace/1', picture)).data).metadata()).isProgressive).toBe(true);
    expect((await sharp((await mogr2('format/jpg', picture)).data).metadata()).isProgressive).toBe(false);
    expect((await sharp((await mogr2('interlace/1', picture)).data).metadata()).isProgressive).toBe(true);
  });
});

describe('imageMogr2 blur and sharpen', () => {
  it('blur softens the edge between quadrants and leaves flat areas alone', async () => {
    const output = await mogr2('blur/10x5', picture);
    const edge = await pixelAt(output.data, 100, 25);
    expect(edge[0]).toBeGreaterThan(40);
    expect(edge[1]).toBeGreaterThan(40);
    expectColour(await pixelAt(output.data, 40, 25), RED, 2);
  });

  it('a small radius keeps the blur close to the edge', async () => {
    const near = await pixelAt((await mogr2('blur/2x20', picture)).data, 96, 25);
    const far = await pixelAt((await mogr2('blur/20x20', picture)).data, 96, 25);
    expect(far[1]).toBeGreaterThan(near[1]);
  });

  it('a fractional sigma blurs, and less than a whole one', async () => {
    const slight = await pixelAt((await mogr2('blur/10x0.8', picture)).data, 98, 25);
    const strong = await pixelAt((await mogr2('blur/10x5', picture)).data, 98, 25);
    const untouched = await pixelAt((await mogr2('format/png', picture)).data, 98, 25);
    expect(slight).not.toEqual(untouched);
    expect(strong[1]).toBeGreaterThan(slight[1]);
  });

  it('sharpen changes the pixels', async () => {
    const jpeg = await noisyJpeg(64, 64, 80);
    const plain = await mogr2('format/png', jpeg);
    const sharpened = await mogr2('format/png/sharpen/1', jpeg);
    expect(sharpened.data.equals(plain.data)).toBe(false);
  });
});

describe('imageMogr2 quality and size-limit', () => {
  let q50: Buffer;
  beforeAll(async () => {
    q50 = await noisyJpeg(128, 128, 50);
  });

  it.each([
    ['', 50],
    ['quality/90', 50],
    ['quality/30', 30],
    ['quality/90!', 90],
    ['quality/50!', 50],
  ])('%p on a quality-50 JPEG writes quality %p (never above the source without !)', async (options, quality) => {
    expect(estimateJpegQuality((await mogr2(options || 'format/jpg', q50)).data)).toBe(quality);
  });

  it('uses the quality as asked for a PNG source', async () => {
    expect(estimateJpegQuality((await mogr2('format/jpg/quality/90', picture)).data)).toBe(90);
    expect(estimateJpegQuality((await mogr2('format/jpg', picture)).data)).toBe(75);
  });

  it('size-limit lowers the quality until the result fits', async () => {
    const source = await noisyJpeg(256, 256, 95);
    const unlimited = await mogr2('quality/95', source);
    const limit = Math.floor(unlimited.data.length / 3);
    const output = await mogr2(`quality/95/size-limit/${limit}`, source);
    expect(output.data.length).toBeLessThanOrEqual(limit);
    expect(estimateJpegQuality(output.data)).toBeLessThan(95);
    expect(estimateJpegQuality(output.data)).toBeGreaterThan(1);
  });

  it('size-limit answers the smallest result when even quality 1 does not fit', async () => {
    const output = await mogr2('size-limit/1', await noisyJpeg(64, 64, 90));
    // Qualities 1 and 2 share almost all of their (clamped) tables; either may be the smaller file.
    expect(estimateJpegQuality(output.data)).toBeLessThanOrEqual(2);
  });

  it('size-limit with ! answers the source itself unless the result is smaller', async () => {
    const small = await noisyJpeg(64, 64, 10);
    const output = await mogr2('quality/100!/size-limit/10m!', small);
    expect(output.data.equals(small)).toBe(true);
    expect(output.mime).toBe('image/jpeg');
    const smaller = await mogr2('quality/5!/size-limit/10m!', await noisyJpeg(64, 64, 95));
    expect(estimateJpegQuality(smaller.data)).toBe(5);
  });

  // Qiniu (dora, imageMogr2 › size-limit): the magic variable $(fsize) is the source's size.
  it('size-limit/$(fsize) keeps the result no larger than the source', async () => {
    const source = await noisyJpeg(256, 256, 80);
    expect((await mogr2('quality/95!', source)).data.length).toBeGreaterThan(source.length);
    const output = await mogr2('quality/95!/size-limit/$(fsize)', source);
    expect(output.data.length).toBeLessThanOrEqual(source.length);
    expect(output.data.equals(source)).toBe(false);
    expect(estimateJpegQuality(output.data)).toBeLessThan(95);
  });

  it('size-limit/$(fsize)! answers the source itself unless the result is smaller', async () => {
    // Quality 1 is still larger than this PNG: the result is not smaller, so the source is answered.
    const tiny = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).png().toBuffer();
    const kept = await mogr2('format/jpg/size-limit/$(fsize)!', tiny);
    expect(kept.data.equals(tiny)).toBe(true);
    expect(kept.mime).toBe('image/png');
    const fine = await noisyJpeg(64, 64, 95);
    const smaller = await mogr2('quality/50!/size-limit/$(fsize)!', fine);
    expect(smaller.data.length).toBeLessThan(fine.length);
    expect(estimateJpegQuality(smaller.data)).toBe(50);
  });

  it('size-limit/$(fsize) in a pipeline is the size of the step\'s own input, the previous result', async () => {
    const source = await noisyJpeg(256, 256, 95);
    const steps = parsePipeline('imageView2/2/w/128/q/60|imageMogr2/quality/95!/size-limit/$(fsize)').steps;
    const previous = await processor.run(steps.slice(0, 1), source);
    const output = await processor.run(steps, source);
    expect(previous.data.length).toBeLessThan(source.length / 2);
    expect(output.data.length).toBeLessThanOrEqual(previous.data.length);
  });

  it('size-limit encodes lossless formats once', async () => {
    const output = await mogr2('size-limit/1', picture);
    expect(await size(output.data)).toMatchObject({ width: 200, height: 100, format: 'png' });
  });
});

describe('imageMogr2 limits and bad input', () => {
  it('refuses a thumbnail over the output bounds before decoding, with 413', async () => {
    const error = await rejected(mogr2('thumbnail/9999x9999<', picture));
    expect(error.status).toBe(413);
    expect(error.message).toBe('result 9999x5000 is over the output bounds (maxOutputSidePx 9999, maxOutputPixels 25000000)');
  });

  it('refuses a rotation whose bounding box is over the bounds', async () => {
    const wide = await sharp({ create: { width: 9000, height: 10, channels: 3, background: 'red' } }).png().toBuffer();
    expect((await rejected(mogr2('rotate/45', wide))).status).toBe(413);
  });

  it('answers 415 for what is no image and 400 for a corrupt one', async () => {
    expect((await rejected(mogr2('strip', Buffer.from('hello, world')))).status).toBe(415);
    const jpeg = await noisyJpeg(64, 64, 90);
    expect((await rejected(mogr2('thumbnail/!50p', jpeg.subarray(0, jpeg.length >> 1)))).status).toBe(400);
  });

  // Qiniu's imageMogr2 page: with ignore-error/1 a failed process answers the original image.
  it('ignore-error/1 answers a source it cannot process unchanged, but keeps a limit an error', async () => {
    const jpeg = await noisyJpeg(64, 64, 90);
    const corrupt = jpeg.subarray(0, jpeg.length >> 1);
    const kept = await mogr2('thumbnail/!50p/ignore-error/1', corrupt);
    expect(kept.data.equals(corrupt)).toBe(true);
    expect(kept.mime).toBe('image/jpeg');
    const text = Buffer.from('hello, world');
    expect((await mogr2('strip/ignore-error/1', text)).data.equals(text)).toBe(true);
    expect((await rejected(mogr2('thumbnail/9999x9999</ignore-error/1', picture))).status).toBe(413);
    expect(await size((await mogr2('thumbnail/!50p/ignore-error/1', jpeg)).data)).toMatchObject({ width: 32, height: 32 });
  });
});
