import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { BLUE, paint, quadrants, solid } from './image-test-images.fixture';

const processor = new ImageProcessor();
const average = async (input: Buffer) => {
  const output = await processor.run(parsePipeline('imageAve').steps, input);
  expect(output.mime).toBe('application/json');
  return JSON.parse(output.data.toString());
};

describe('imageAve', () => {
  it('answers the mean colour as 0xrrggbb', async () => {
    // red, green, blue, white quadrants: (255+0+0+255)/4 = 127.5 each channel → 0x80.
    expect(await average(await quadrants(20, 20))).toEqual({ RGB: '0x808080' });
    expect(await average(await solid(7, 3, [18, 52, 86, 255], 'png'))).toEqual({ RGB: '0x123456' });
  });

  it('averages a greyscale image as grey', async () => {
    const grey = await sharp(Buffer.alloc(16, 64), { raw: { width: 4, height: 4, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    expect(await average(grey)).toEqual({ RGB: '0x404040' });
  });

  it('weights pixels by their alpha, so a transparent background does not count', async () => {
    const logo = await sharp(paint(10, 10, (x) => (x < 5 ? [0, 0, 0, 0] : BLUE)), { raw: { width: 10, height: 10, channels: 4 } }).png().toBuffer();
    expect(await average(logo)).toEqual({ RGB: '0x0000ff' });
  });
});
