import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { RED, GREEN, animation, noisyJpeg, quadrants } from './image-test-images.fixture';

const processor = new ImageProcessor();
const info = async (input: Buffer) => {
  const output = await processor.run(parsePipeline('imageInfo').steps, input);
  expect(output.mime).toBe('application/json');
  return JSON.parse(output.data.toString());
};

describe('imageInfo', () => {
  it('describes a still image without frameNumber', async () => {
    const jpeg = await noisyJpeg(30, 20, 80);
    expect(await info(jpeg)).toEqual({ size: jpeg.length, format: 'jpeg', width: 30, height: 20, colorModel: 'ycbcr' });
    expect(await info(await quadrants(8, 6))).toMatchObject({ format: 'png', width: 8, height: 6, colorModel: 'nrgba' });
    const grey = await sharp(Buffer.alloc(16, 64), { raw: { width: 4, height: 4, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    expect(await info(grey)).toMatchObject({ colorModel: 'gray' });
  });

  it('reports the size of one frame and the frame count of an animation', async () => {
    expect(await info(await animation(40, 30, [RED, GREEN, RED]))).toMatchObject({ format: 'gif', width: 40, height: 30, frameNumber: 3 });
    expect(await info(await animation(40, 30, [RED, GREEN], 'webp'))).toMatchObject({ format: 'webp', width: 40, height: 30, frameNumber: 2 });
  });
});
