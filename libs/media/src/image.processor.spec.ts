import { type FopStep, commandNames, commands, parsePipeline } from '@fopflow/fop';
import { crc32, deflateSync } from 'node:zlib';
import { DEFAULT_IMAGE_LIMITS } from './image-limits';
import { ImageProcessor, isImageStep } from './image.processor';
import { MediaError } from './media.errors';
import { BLUE, GREEN, RED, animation, quadrants, solid } from './image-test-images.fixture';

const steps = (fop: string) => parsePipeline(fop).steps;
const limits = (overrides: Partial<typeof DEFAULT_IMAGE_LIMITS>) => new ImageProcessor({ ...DEFAULT_IMAGE_LIMITS, ...overrides });

describe('ImageProcessor', () => {
  it('runs every image command of the catalogue, and only those', () => {
    const imageCommands = commandNames().filter((name) => commands[name].family === 'image');
    expect(imageCommands).toEqual(expect.arrayContaining(['imageView2', 'imageInfo', 'imageMogr2', 'watermark', 'exif', 'imageAve']));
    for (const name of commandNames()) {
      expect({ name, image: isImageStep({ command: name, args: {} } as FopStep) }).toEqual({ name, image: commands[name].family === 'image' });
    }
  });

  it('refuses a step that is not an image command', async () => {
    const processor = new ImageProcessor();
    const notImage = { command: 'avinfo', args: {} } as unknown as FopStep;
    await expect(processor.runStep(notImage, Buffer.alloc(0))).rejects.toThrow('avinfo is not an image command');
  });

  it('runs a pipeline, each step on the previous one\'s output, with the context for every step', async () => {
    const logo = await solid(10, 10, BLUE);
    const asked: string[] = [];
    const context = { loadObject: async (bucket: string, key: string) => (asked.push(`${bucket}/${key}`), logo) };
    const mark = Buffer.from('brand:logo.png').toString('base64url');
    const output = await new ImageProcessor().run(
      steps(`imageMogr2/thumbnail/!50p|watermark/1/image/${mark}/gravity/NorthWest/dx/0/dy/0|imageInfo`),
      await quadrants(200, 100),
      context,
    );
    expect(JSON.parse(output.data.toString())).toMatchObject({ format: 'png', width: 100, height: 50 });
    expect(asked).toEqual(['brand/logo.png']);
  });

  it('defaults to Qiniu\'s output bounds, a 100 MP decode guard and 1000 frames', () => {
    expect(DEFAULT_IMAGE_LIMITS).toEqual({ maxInputPixels: 100_000_000, maxFrames: 1000, maxOutputSidePx: 9999, maxOutputPixels: 25_000_000 });
  });
});

describe('ImageProcessor source limits, read from the header', () => {
  let gif: Buffer; // 40×30 × 3 frames = 3600 pixels

  beforeAll(async () => {
    gif = await animation(40, 30, [RED, GREEN, BLUE]);
  });

  it.each(['imageInfo', 'imageView2/2/w/10', 'imageMogr2/strip', 'exif', 'imageAve', `watermark/2/text/${Buffer.from('x').toString('base64url')}`])(
    'refuses more frames than maxFrames in %s (413 naming the limit)',
    async (fop) => {
      const error = await limits({ maxFrames: 2 }).run(steps(fop), gif).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MediaError);
      expect(error).toMatchObject({ status: 413, message: 'source image has 3 frames, over maxFrames 2' });
    },
  );

  it('counts width × height × frames against maxInputPixels', async () => {
    await expect(limits({ maxInputPixels: 3600 }).run(steps('imageInfo'), gif)).resolves.toBeDefined();
    await expect(limits({ maxInputPixels: 3599 }).run(steps('imageInfo'), gif)).rejects.toMatchObject({
      status: 413,
      message: 'source image is 40x30 × 3 frames (3600 pixels), over maxInputPixels 3599',
    });
  });

  it('checks before decoding: a 400 MP header with almost no pixel data behind it is 413, not 400 or 415', async () => {
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const ihdr = Buffer.from([0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 2, 0, 0, 0]); // 20000×20000 RGB
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
    await expect(new ImageProcessor().run(steps('imageMogr2/strip'), bomb)).rejects.toMatchObject({
      status: 413,
      message: 'source image is 20000x20000 (400000000 pixels), over maxInputPixels 100000000',
    });
  });
});
