import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { animation, BLUE, noisyJpeg, paint, RED } from './image-test-images.fixture';

const processor = new ImageProcessor();
const slim = (input: Buffer, fop = 'imageslim') => processor.run(parsePipeline(fop).steps, input);

/** A smooth photo-like gradient with many distinct colours, as a PNG of 24-bit pixels. */
const gradientPng = () =>
  sharp(paint(240, 160, (x, y) => [x, (y * 255) / 160, ((x + y) * 255) / 400, 255]), { raw: { width: 240, height: 160, channels: 4 } })
    .removeAlpha()
    .png()
    .toBuffer();

/** Mean absolute difference of two images' RGB pixels, 0–255. */
async function meanDifference(a: Buffer, b: Buffer): Promise<number> {
  const [left, right] = await Promise.all([a, b].map((image) => sharp(image).removeAlpha().raw().toBuffer()));
  let sum = 0;
  for (let i = 0; i < left.length; i++) sum += Math.abs(left[i] - right[i]);
  return sum / left.length;
}

describe('imageslim', () => {
  it('makes a JPEG smaller with mozjpeg, at the same size and format, looking the same', async () => {
    for (const source of [await noisyJpeg(320, 240, 92), await sharp(await gradientPng()).jpeg({ quality: 95 }).toBuffer()]) {
      const output = await slim(source);
      expect(output.mime).toBe('image/jpeg');
      expect(output.data.length).toBeLessThan(source.length);
      const { width, height } = await sharp(source).metadata();
      expect(await sharp(output.data).metadata()).toMatchObject({ format: 'jpeg', width, height });
    }
    // Noise has no structure to keep; a photo-like gradient must look the same.
    const photo = await sharp(await gradientPng()).jpeg({ quality: 95 }).toBuffer();
    expect(await meanDifference(photo, (await slim(photo)).data)).toBeLessThan(3);
  });

  it('gives up more quality, and bytes, at a higher zlevel', async () => {
    const source = await noisyJpeg(320, 240, 95);
    const gentle = await slim(source, 'imageslim/zlevel/0');
    const hard = await slim(source, 'imageslim/zlevel/10');
    expect(hard.data.length).toBeLessThan(gentle.data.length);
  });

  it('keeps the EXIF orientation as a tag instead of turning the pixels', async () => {
    const turned = await sharp(await noisyJpeg(120, 80, 92)).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    const output = await slim(turned);
    expect(await sharp(output.data).metadata()).toMatchObject({ width: 120, height: 80, orientation: 6 });
  });

  it('quantises a PNG to a palette: smaller, same size, still a PNG', async () => {
    const source = await gradientPng();
    const output = await slim(source);
    expect(output.mime).toBe('image/png');
    expect(output.data.length).toBeLessThan(source.length);
    const meta = await sharp(output.data).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 240, height: 160 });
    expect(meta.isPalette).toBe(true);
    expect(await meanDifference(source, output.data)).toBeLessThan(6);
  });

  it('answers the input itself when slimming would not make it smaller', async () => {
    const tiny = await sharp(paint(4, 4, () => RED), { raw: { width: 4, height: 4, channels: 4 } }).png({ palette: true }).toBuffer();
    const output = await slim(tiny);
    expect(output.data.equals(tiny)).toBe(true);
    expect(output.mime).toBe('image/png');
  });

  it('answers formats Qiniu does not slim, and animations, unchanged', async () => {
    const gif = await animation(8, 8, [RED, BLUE]);
    expect((await slim(gif)).data.equals(gif)).toBe(true);
    const webp = await sharp(paint(8, 8, () => BLUE), { raw: { width: 8, height: 8, channels: 4 } }).webp().toBuffer();
    expect(await slim(webp)).toEqual({ data: webp, mime: 'image/webp' });
  });

  it('refuses what is no image', async () => {
    await expect(slim(Buffer.from('not an image'))).rejects.toMatchObject({ status: 415 });
  });
});
