/** Bytes of the BITMAPFILEHEADER plus the BITMAPINFOHEADER. */
const headerBytes = 14 + 40;
/** Pixels per metre written in the header: 72 dpi. */
const pixelsPerMetre = 2835;

/**
 * Writes a 24-bit uncompressed BMP from packed RGB pixels (libvips has no BMP encoder). Rows are
 * stored bottom-up, in BGR order, each padded to a multiple of four bytes, as the format requires.
 */
export function encodeBmp(rgb: Buffer, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`BMP size must be positive integers, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`expected ${width * height * 3} bytes of RGB for ${width}x${height}, got ${rgb.length}`);
  }
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const pixelBytes = rowBytes * height;
  const bmp = Buffer.alloc(headerBytes + pixelBytes);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(headerBytes + pixelBytes, 2);
  bmp.writeUInt32LE(headerBytes, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22); // positive: bottom-up rows
  bmp.writeUInt16LE(1, 26); // planes
  bmp.writeUInt16LE(24, 28); // bits per pixel
  bmp.writeUInt32LE(0, 30); // BI_RGB, no compression
  bmp.writeUInt32LE(pixelBytes, 34);
  bmp.writeInt32LE(pixelsPerMetre, 38);
  bmp.writeInt32LE(pixelsPerMetre, 42);
  for (let y = 0; y < height; y++) {
    const source = y * width * 3;
    const target = headerBytes + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = source + x * 3;
      const t = target + x * 3;
      bmp[t] = rgb[s + 2];
      bmp[t + 1] = rgb[s + 1];
      bmp[t + 2] = rgb[s];
    }
  }
  return bmp;
}
