import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaError } from './media.errors';
import { BLUE, GREEN, RED, animation, decode, expectColour, noisyJpeg, pixelAt, quadrants } from './image-test-images.fixture';

const processor = new ImageProcessor();
const view = (fop: string, input: Buffer) => processor.run(parsePipeline(`imageView2/${fop}`).steps, input);

let picture: Buffer; // 200×100 PNG quadrants
let q60: Buffer; // 300×200 JPEG written at quality 60

beforeAll(async () => {
  picture = await quadrants(200, 100);
  q60 = await noisyJpeg(300, 200, 60);
});

describe('imageView2 (conformance with the mode table)', () => {
  it.each([
    ['0/w/100/h/100', 100, 50],
    ['1/w/50/h/50', 50, 50],
    ['2/w/100/h/100', 100, 50],
    ['3/w/50/h/50', 100, 50],
    ['4/w/100/h/40', 100, 50],
    ['5/w/80/h/40', 80, 40],
    ['2/w/1000', 200, 100],
  ])('imageView2/%s makes %p×%p', async (fop, width, height) => {
    const metadata = await sharp((await view(fop, picture)).data).metadata();
    expect([metadata.width, metadata.height, metadata.format]).toEqual([width, height, 'png']);
  });

  it('mode 1 crops the centre', async () => {
    const output = await view('1/w/20/h/20', picture);
    expectColour(await pixelAt(output.data, 2, 2), RED, 40);
    expectColour(await pixelAt(output.data, 17, 17), [255, 255, 255, 255], 40);
  });

  it('writes every format, bmp included', async () => {
    for (const [format, mime] of [['jpg', 'image/jpeg'], ['webp', 'image/webp'], ['gif', 'image/gif'], ['tiff', 'image/tiff'], ['avif', 'image/avif'], ['bmp', 'image/bmp']]) {
      expect((await view(`2/w/50/format/${format}`, picture)).mime).toBe(mime);
    }
  });
});

describe('imageView2 quality', () => {
  it.each([
    ['2/w/150', 60],
    ['2/w/150/q/90', 60],
    ['2/w/150/q/40', 40],
    ['2/w/150/q/90!', 90],
    ['2/w/150/q/75!', 75],
  ])('%s on a quality-60 JPEG writes quality %p: never above the source without !', async (fop, quality) => {
    expect(estimateJpegQuality((await view(fop, q60)).data)).toBe(quality);
  });

  it('uses 75, or q, for a source that is not a JPEG', async () => {
    expect(estimateJpegQuality((await view('2/w/50/format/jpg', picture)).data)).toBe(75);
    expect(estimateJpegQuality((await view('2/w/50/format/jpg/q/95', picture)).data)).toBe(95);
  });

  it('interlace/1 writes a progressive JPEG', async () => {
    expect((await sharp((await view('2/w/100/interlace/1', q60)).data).metadata()).isProgressive).toBe(true);
  });
});

describe('imageView2 errors, ignore-error and bounds', () => {
  it('answers the source unchanged with ignore-error/1 when it cannot be processed', async () => {
    const broken = q60.subarray(0, q60.length >> 1);
    await expect(view('2/w/100', broken)).rejects.toMatchObject({ status: 400 });
    const output = await view('2/w/100/ignore-error/1', broken);
    expect(output.data.equals(broken)).toBe(true);
    expect(output.mime).toBe('image/jpeg');
  });

  it('refuses a source over maxInputPixels even with ignore-error', async () => {
    const small = new ImageProcessor({ maxInputPixels: 100, maxFrames: 1000, maxOutputSidePx: 9999, maxOutputPixels: 25_000_000 });
    const error = await small.run(parsePipeline('imageView2/2/w/10/ignore-error/1').steps, picture).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ status: 413, message: 'source image is 200x100 (20000 pixels), over maxInputPixels 100' });
  });

  it('bounds the result to 9999 px a side and 25 MP', async () => {
    const tight = new ImageProcessor({ maxInputPixels: 100_000_000, maxFrames: 1000, maxOutputSidePx: 150, maxOutputPixels: 25_000_000 });
    await expect(tight.run(parsePipeline('imageView2/2/w/200').steps, picture)).rejects.toMatchObject({
      status: 413,
      message: 'result 200x100 is over the output bounds (maxOutputSidePx 150, maxOutputPixels 25000000)',
    });
  });
});

describe('imageView2 on animations', () => {
  it('keeps every frame in gif and webp, the first one elsewhere', async () => {
    const gif = await animation(40, 30, [RED, GREEN, BLUE]);
    const output = await view('1/w/20/h/20', gif);
    const decoded = await decode(output.data);
    expect([output.mime, decoded.frames, decoded.width, decoded.height]).toEqual(['image/gif', 3, 20, 20]);
    expectColour(await pixelAt(output.data, 10, 10, 2), BLUE);
    expect((await decode((await view('2/w/20/format/webp', gif)).data)).frames).toBe(3);
    expect((await decode((await view('2/w/20/format/png', gif)).data)).frames).toBe(1);
  });
});

// Qiniu's service turns an orientation-tagged photo upright in imageView2 without being asked
// (imageMogr2 needs auto-orient): the modes' w/h and long/short edges refer to the picture as shown.
describe('imageView2 and the EXIF orientation tag (Qiniu turns the picture upright by default)', () => {
  let rotatedJpeg: Buffer; // stored 200×100 landscape, tagged 6: shown 100×200 portrait

  beforeAll(async () => {
    rotatedJpeg = await sharp(await quadrants(200, 100, 'jpeg')).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  });

  it('sizes the upright picture and drops the tag: 2/w/50 of a portrait is 50×100', async () => {
    const output = await view('2/w/50', rotatedJpeg);
    const metadata = await sharp(output.data).metadata();
    expect([metadata.width, metadata.height, metadata.orientation ?? 1]).toEqual([50, 100, 1]);
    // Turned clockwise, the stored bottom-left (blue) quadrant is now top-left, top-left (red) top-right.
    expectColour(await pixelAt(output.data, 5, 5), BLUE);
    expectColour(await pixelAt(output.data, 45, 5), RED);
  });

  it('crops mode 1 from the centre of the upright picture', async () => {
    // Upright 100×200 (blue, red over white, green): the 100×50 centre straddles the two halves.
    const output = await view('1/w/100/h/50', rotatedJpeg);
    const metadata = await sharp(output.data).metadata();
    expect([metadata.width, metadata.height, metadata.orientation ?? 1]).toEqual([100, 50, 1]);
    expectColour(await pixelAt(output.data, 5, 5), BLUE);
    expectColour(await pixelAt(output.data, 5, 45), [255, 255, 255, 255]);
  });

  it('turns the picture upright even when no size is bounded (format only)', async () => {
    const metadata = await sharp((await view('0/w/9999/format/png', rotatedJpeg)).data).metadata();
    expect([metadata.width, metadata.height, metadata.format]).toEqual([100, 200, 'png']);
  });
});
