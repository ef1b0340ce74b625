import sharp from 'sharp';

// Test support for the image specs: every image is made on the spot with sharp (no binary
// fixtures in the repo), and read back with sharp to check what the code wrote.

/** An RGBA colour as four 0–255 numbers. */
export type Rgba = [number, number, number, number];

export const RED: Rgba = [255, 0, 0, 255];
export const GREEN: Rgba = [0, 255, 0, 255];
export const BLUE: Rgba = [0, 0, 255, 255];
export const WHITE: Rgba = [255, 255, 255, 255];
export const BLACK: Rgba = [0, 0, 0, 255];

/** Raw RGBA pixels painted by `colourAt(x, y)`. */
export function paint(width: number, height: number, colourAt: (x: number, y: number) => Rgba): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(colourAt(x, y), (y * width + x) * 4);
  return data;
}

/** Which quadrant a pixel is in: top-left red, top-right green, bottom-left blue, bottom-right white. */
export function quadrantColour(width: number, height: number): (x: number, y: number) => Rgba {
  return (x, y) => (y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : WHITE);
}

/** A still image with four coloured quadrants, as PNG (lossless) unless another format is asked. */
export async function quadrants(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const image = sharp(paint(width, height, quadrantColour(width, height)), { raw: { width, height, channels: 4 } });
  return format === 'png' ? image.png().toBuffer() : image.removeAlpha().jpeg({ quality: 95 }).toBuffer();
}

/** A still image of one colour. */
export async function solid(width: number, height: number, colour: Rgba, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const image = sharp(paint(width, height, () => colour), { raw: { width, height, channels: 4 } });
  if (format === 'jpeg') return image.removeAlpha().jpeg({ quality: 90, mozjpeg: false }).toBuffer();
  return format === 'webp' ? image.webp({ lossless: true }).toBuffer() : image.png().toBuffer();
}

/** A JPEG of photo-like noise (so its size depends on quality) at a given quality. */
export async function noisyJpeg(width: number, height: number, quality: number, seed = 7): Promise<Buffer> {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const pixels = paint(width, height, (x, y) => [(x * 3 + next()) & 0xff, (y * 5 + next()) & 0xff, next(), 255]);
  return sharp(pixels, { raw: { width, height, channels: 4 } }).removeAlpha().jpeg({ quality, mozjpeg: false }).toBuffer();
}

/** An animation whose frame `f` is filled with `colours[f]`, as GIF or WebP. */
export async function animation(width: number, height: number, colours: readonly Rgba[], format: 'gif' | 'webp' = 'gif'): Promise<Buffer> {
  const frames = colours.map((colour) => paint(width, height, () => colour));
  const image = sharp(Buffer.concat(frames), { raw: { width, height: height * colours.length, channels: 4, pageHeight: height } });
  const delay = colours.map(() => 100);
  return format === 'gif' ? image.gif({ delay, loop: 0 }).toBuffer() : image.webp({ lossless: true, delay, loop: 0 }).toBuffer();
}

/** Decoded RGBA pixels of every frame of `image`, with its size. */
export async function decode(image: Buffer): Promise<{ data: Buffer; width: number; height: number; frames: number }> {
  const { data, info } = await sharp(image, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const frames = info.pages ?? 1;
  return { data, width: info.width, height: info.pageHeight ?? info.height / frames, frames };
}

/** The RGBA colour at (x, y) of frame `frame`. */
export async function pixelAt(image: Buffer, x: number, y: number, frame = 0): Promise<Rgba> {
  const { data, width, height } = await decode(image);
  const at = ((frame * height + y) * width + x) * 4;
  return [data[at], data[at + 1], data[at + 2], data[at + 3]];
}

/** True when every channel of `actual` is within `tolerance` of `expected` (lossy codecs move colours a little). */
export function near(actual: Rgba, expected: Rgba, tolerance = 24): boolean {
  return actual.every((value, i) => Math.abs(value - expected[i]) <= tolerance);
}

/** Throws, naming both colours, unless `actual` is within `tolerance` of `expected` per channel. */
export function expectColour(actual: Rgba, expected: Rgba, tolerance = 24): void {
  if (!near(actual, expected, tolerance)) {
    throw new Error(`expected a colour within ${tolerance} of [${expected.join(', ')}], got [${actual.join(', ')}]`);
  }
}
