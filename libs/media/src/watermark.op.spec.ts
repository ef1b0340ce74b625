import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor, type ImageStepContext } from './image.processor';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaError } from './media.errors';
import { BLACK, BLUE, GREEN, RED, WHITE, type Rgba, animation, decode, expectColour, noisyJpeg, paint, pixelAt, solid } from './image-test-images.fixture';

const processor = new ImageProcessor();
const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** A loader over an in-memory bucket, recording what was asked. */
function store(objects: Record<string, Buffer>): ImageStepContext & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async loadObject(bucket, key) {
      asked.push(`${bucket}:${key}`);
      const data = objects[`${bucket}:${key}`];
      if (!data) throw Object.assign(new Error(`no such object ${bucket}/${key}`), { status: 404 });
      return data;
    },
  };
}

const watermark = (fop: string, input: Buffer, context?: ImageStepContext) => processor.run(parsePipeline(`watermark/${fop}`).steps, input, context);

/** Pixels that differ between two images of the same size, as [x, y] pairs of the first frame. */
async function changedPixels(before: Buffer, after: Buffer, tolerance = 8): Promise<[number, number][]> {
  const a = await decode(before);
  const b = await decode(after);
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  const changed: [number, number][] = [];
  for (let i = 0; i < a.width * a.height * 4; i += 4) {
    if ([0, 1, 2].some((c) => Math.abs(a.data[i + c] - b.data[i + c]) > tolerance)) changed.push([(i / 4) % a.width, Math.floor(i / 4 / a.width)]);
  }
  return changed;
}

function bounds(points: [number, number][]) {
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

let black: Buffer; // 200×100 black PNG
let white: Buffer; // 200×100 white PNG
let logo: Buffer; // 20×10 red PNG
let context: ReturnType<typeof store>;
const logoRef = b64('http://cdn.example.com/brand/logo.png');

beforeAll(async () => {
  black = await solid(200, 100, BLACK);
  white = await solid(200, 100, WHITE);
  logo = await solid(20, 10, RED);
  context = store({
    'brand:logo.png': logo,
    'brand:blue.png': await solid(20, 10, BLUE),
    'brand:square.png': await solid(10, 10, RED),
    'brand:half.png': await sharp(paint(20, 10, (x) => (x < 10 ? [0, 0, 0, 0] : GREEN)), { raw: { width: 20, height: 10, channels: 4 } }).png().toBuffer(),
    'brand:note.txt': Buffer.from('not an image'),
  });
});

describe('watermark 1 (image)', () => {
  it('draws the stored image at SouthEast, 10 px from the edges, and changes nothing else', async () => {
    const output = await watermark(`1/image/${logoRef}`, black, context);
    expect(output.mime).toBe('image/png');
    expect(context.asked).toContain('brand:logo.png');
    const changed = await changedPixels(black, output.data);
    expect(changed).toHaveLength(20 * 10);
    expect(bounds(changed)).toEqual({ left: 170, top: 80, right: 189, bottom: 89 });
    expectColour(await pixelAt(output.data, 180, 85), RED, 0);
  });

  it.each([
    ['NorthWest', 0, 0, { left: 0, top: 0, right: 19, bottom: 9 }],
    ['North', 0, 5, { left: 90, top: 5, right: 109, bottom: 14 }],
    ['Center', 0, 0, { left: 90, top: 45, right: 109, bottom: 54 }],
    ['East', 3, 0, { left: 177, top: 45, right: 196, bottom: 54 }],
    ['SouthWest', 4, 6, { left: 4, top: 84, right: 23, bottom: 93 }],
  ])('places it at %s with dx %p and dy %p', async (gravity, dx, dy, box) => {
    const output = await watermark(`1/image/${logoRef}/gravity/${gravity}/dx/${dx}/dy/${dy}`, black, context);
    expect(bounds(await changedPixels(black, output.data))).toEqual(box);
  });

  it('dissolve blends the mark with the image', async () => {
    const output = await watermark(`1/image/${logoRef}/dissolve/50`, black, context);
    expectColour(await pixelAt(output.data, 180, 85), [128, 0, 0, 255], 3);
  });

  it('ws scales the mark so its short edge is ws × the image\'s short edge', async () => {
    const output = await watermark(`1/image/${logoRef}/ws/0.5`, black, context);
    expect(bounds(await changedPixels(black, output.data))).toEqual({ left: 90, top: 40, right: 189, bottom: 89 });
  });

  // Qiniu's watermark page (dora/1316): wst picks the edge ws refers to, 0 short (the default),
  // 1 long, 2 width, 3 height. A 10x10 mark on the 200x100 image at ws 0.25:
  it.each([
    ['0', 25],
    ['1', 50],
    ['2', 50],
    ['3', 25],
  ])('wst/%s scales the mark by its edge: %i px square', async (wst, side) => {
    const output = await watermark(`1/image/${b64('brand:square.png')}/ws/0.25/wst/${wst}`, black, context);
    expect(bounds(await changedPixels(black, output.data))).toEqual({ left: 190 - side, top: 90 - side, right: 189, bottom: 89 });
  });

  it('draws a mark larger than the image clipped to the frame, the image keeping its size', async () => {
    // ws 1 of the long edge makes the mark 200x200 on a 200x100 image; anchored SouthEast 10 px in.
    const output = await watermark(`1/image/${b64('brand:square.png')}/ws/1/wst/1`, black, context);
    expect(await sharp(output.data).metadata()).toMatchObject({ width: 200, height: 100 });
    expect(bounds(await changedPixels(black, output.data))).toEqual({ left: 0, top: 0, right: 189, bottom: 89 });
  });

  it('keeps the transparency of the mark', async () => {
    const output = await watermark(`1/image/${b64('brand:half.png')}/gravity/NorthWest/dx/0/dy/0`, black, context);
    expect(bounds(await changedPixels(black, output.data))).toEqual({ left: 10, top: 0, right: 19, bottom: 9 });
  });

  it('clips a mark reaching past the edge and skips one wholly outside', async () => {
    const clipped = await watermark(`1/image/${logoRef}/gravity/NorthWest/dx/190/dy/95`, black, context);
    expect(bounds(await changedPixels(black, clipped.data))).toEqual({ left: 190, top: 95, right: 199, bottom: 99 });
    const outside = await watermark(`1/image/${logoRef}/gravity/NorthWest/dx/500`, black, context);
    expect(await changedPixels(black, outside.data)).toEqual([]);
  });

  it('re-encodes a JPEG at its own estimated quality and keeps its format', async () => {
    const jpeg = await noisyJpeg(200, 100, 60);
    const output = await watermark(`1/image/${logoRef}`, jpeg, context);
    expect(output.mime).toBe('image/jpeg');
    expect(estimateJpegQuality(output.data)).toBe(60);
  });

  it('marks every frame of an animation', async () => {
    const gif = await animation(60, 40, [RED, GREEN, BLUE]);
    const output = await watermark(`1/image/${b64('brand:blue.png')}/gravity/NorthWest/dx/0/dy/0`, gif, context);
    const decoded = await decode(output.data);
    expect([decoded.frames, decoded.width, decoded.height]).toEqual([3, 60, 40]);
    for (const [frame, colour] of [RED, GREEN, BLUE].entries()) {
      expectColour(await pixelAt(output.data, 5, 5, frame), BLUE);
      expectColour(await pixelAt(output.data, 40, 30, frame), colour);
    }
  });

  it('passes the loader\'s error on, and names a mark that is no image', async () => {
    await expect(watermark(`1/image/${b64('brand:missing.png')}`, black, context)).rejects.toMatchObject({ status: 404 });
    const error = await watermark(`1/image/${b64('brand:note.txt')}`, black, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ status: 415 });
    expect((error as Error).message).toMatch(/^watermark image brand\/note.txt: source is not a supported image/);
  });

  it('needs a context to read image marks', async () => {
    await expect(watermark(`1/image/${logoRef}`, black)).rejects.toThrow(/ImageStepContext/);
  });

  it('refuses a ws that would blow the mark past the output bounds', async () => {
    const tall = await solid(2, 200, RED);
    const big = await solid(9000, 2000, BLACK, 'jpeg');
    const error = await watermark(`1/image/${b64('brand:tall.png')}/ws/1`, big, store({ 'brand:tall.png': tall })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413 });
  });
});

describe('watermark 2 (text)', () => {
  it('draws black text at SouthEast by default', async () => {
    const output = await watermark(`2/text/${b64('Fopflow')}/fontsize/400`, white, context);
    const changed = await changedPixels(white, output.data, 60);
    expect(changed.length).toBeGreaterThan(50);
    const box = bounds(changed);
    expect(box.right).toBeLessThanOrEqual(189);
    expect(box.bottom).toBeLessThanOrEqual(89);
    expect(box.left).toBeGreaterThan(100);
    expect(box.top).toBeGreaterThan(50);
  });

  it('paints with the fill colour and at the given gravity', async () => {
    const output = await watermark(`2/text/${b64('█')}/fontsize/600/fill/${b64('red')}/gravity/NorthWest/dx/0/dy/0`, white, context);
    const changed = await changedPixels(white, output.data, 60);
    expect(bounds(changed).left).toBeLessThan(10);
    const reddest = (await Promise.all(changed.slice(0, 50).map(([x, y]) => pixelAt(output.data, x, y)))).find(
      (pixel: Rgba) => pixel[0] > 200 && pixel[1] < 80,
    );
    expect(reddest).toBeDefined();
  });

  it('renders with a default font when the named one is not installed, and never reads markup', async () => {
    const named = await watermark(`2/text/${b64('<b>a & b</b>')}/font/${b64('No Such Font 9000')}/fontsize/300`, white, context);
    expect((await changedPixels(white, named.data, 60)).length).toBeGreaterThan(20);
  });

  it('refuses text far too large for any result', async () => {
    const error = await watermark(`2/text/${b64('W'.repeat(400))}/fontsize/20000`, white, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413 });
    expect((error as Error).message).toMatch(/watermark text would cover about \d+ pixels, over maxOutputPixels 25000000/);
  });
});

describe('watermark 3 (several)', () => {
  it('draws every mark in order, later ones on top', async () => {
    const fop = `3/image/${logoRef}/gravity/NorthWest/dx/0/dy/0/image/${b64('brand:blue.png')}/gravity/NorthWest/dx/10/dy/0/text/${b64('x')}/fontsize/300`;
    const output = await watermark(fop, black, context);
    expectColour(await pixelAt(output.data, 5, 5), RED, 0);
    expectColour(await pixelAt(output.data, 15, 5), BLUE, 0);
    expectColour(await pixelAt(output.data, 25, 5), BLUE, 0);
    expect(context.asked).toEqual(expect.arrayContaining(['brand:logo.png', 'brand:blue.png']));
  });
});
