import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { BLUE, GREEN, RED, animation, decode, expectColour, pixelAt } from './image-test-images.fixture';

const processor = new ImageProcessor();
const mogr2 = (options: string, input: Buffer) => processor.run(parsePipeline(`imageMogr2/${options}`).steps, input);

describe('imageMogr2 on animations', () => {
  let gif: Buffer; // 40×30, frames red, green, blue

  beforeAll(async () => {
    gif = await animation(40, 30, [RED, GREEN, BLUE]);
  });

  async function frames(image: Buffer) {
    const decoded = await decode(image);
    const colours = [];
    for (let f = 0; f < decoded.frames; f++) colours.push(await pixelAt(image, decoded.width >> 1, decoded.height >> 1, f));
    return { ...decoded, colours };
  }

  it.each([
    ['thumbnail/20x', 20, 15],
    ['crop/20x10', 20, 10],
    ['rotate/90', 30, 40],
    ['rotate/180', 40, 30],
    ['thumbnail/20x/rotate/90', 15, 20],
    ['crop/!20x10a5a5/rotate/45', 21, 21],
    ['thumbnail/!50p/blur/2x1', 20, 15],
  ])('%s keeps every frame', async (options, width, height) => {
    const output = await mogr2(options, gif);
    expect(output.mime).toBe('image/gif');
    const result = await frames(output.data);
    expect([result.frames, result.width, result.height]).toEqual([3, width, height]);
    [RED, GREEN, BLUE].forEach((colour, f) => expectColour(result.colours[f], colour));
    expect((await sharp(output.data).metadata()).delay).toEqual([100, 100, 100]);
  });

  it('keeps the frames of an animated WebP, and converts between the two', async () => {
    const webp = await animation(40, 30, [RED, GREEN, BLUE], 'webp');
    const output = await mogr2('thumbnail/!50p', webp);
    expect(output.mime).toBe('image/webp');
    expect((await frames(output.data)).frames).toBe(3);
    expect((await frames((await mogr2('format/webp', gif)).data)).frames).toBe(3);
  });

  it('writes the first frame to a format without frames', async () => {
    const output = await mogr2('format/png', gif);
    const result = await frames(output.data);
    expect(result.frames).toBe(1);
    expectColour(result.colours[0], RED);
  });
});
