import sharp from 'sharp';
import { estimateJpegQuality, readQuantizationSums } from './jpeg-quality';

const colour = sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 120, b: 40 } } });

describe('estimateJpegQuality', () => {
  it('recovers the exact quality libjpeg wrote, for colour and greyscale files, 1 to 100', async () => {
    const wrong: string[] = [];
    for (let quality = 1; quality <= 100; quality++) {
      const rgb = await colour.clone().jpeg({ quality, mozjpeg: false }).toBuffer();
      const grey = await colour.clone().grayscale().jpeg({ quality, mozjpeg: false }).toBuffer();
      const found = [estimateJpegQuality(rgb), estimateJpegQuality(grey)];
      if (found[0] !== quality || found[1] !== quality) wrong.push(`${quality} → ${found.join('/')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives the nearest IJG quality for other tables (mozjpeg)', async () => {
    const estimate = estimateJpegQuality(await colour.clone().jpeg({ quality: 80, mozjpeg: true }).toBuffer());
    expect(estimate).toBeGreaterThanOrEqual(70);
    expect(estimate).toBeLessThanOrEqual(90);
  });

  it('reads the tables by id, and estimates from the luminance table alone when it is the only one', async () => {
    expect([...readQuantizationSums(await colour.clone().jpeg().toBuffer()).keys()]).toEqual([0, 1]);
    // Annex K's luminance table unscaled is quality 50.
    const annexK = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29,
      51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72,
      92, 95, 98, 112, 100, 103, 99];
    const dqt = Buffer.from([0xff, 0xdb, 0x00, 67, 0x00, ...annexK]);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), dqt, Buffer.from([0xff, 0xda, 0, 2])]);
    expect([...readQuantizationSums(jpeg).keys()]).toEqual([0]);
    expect(estimateJpegQuality(jpeg)).toBe(50);
  });

  it('answers undefined for what is no JPEG or has no table before the scan', async () => {
    expect(estimateJpegQuality(await colour.clone().png().toBuffer())).toBeUndefined();
    expect(estimateJpegQuality(Buffer.alloc(0))).toBeUndefined();
    expect(estimateJpegQuality(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBeUndefined();
  });

  it('stops safely on a truncated or lying header', async () => {
    const jpeg = await colour.clone().jpeg({ quality: 60 }).toBuffer();
    for (const cut of [3, 4, 10, 25, 60, 100]) expect(() => estimateJpegQuality(jpeg.subarray(0, cut))).not.toThrow();
    const lying = Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0xff, 0xff, 0x00]);
    expect(estimateJpegQuality(lying)).toBeUndefined();
  });

  it('reads 16-bit tables', () => {
    const table = Buffer.alloc(128);
    for (let i = 0; i < 64; i++) table.writeUInt16BE(1, i * 2);
    const dqt = Buffer.concat([Buffer.from([0xff, 0xdb, 0x00, 131, 0x10]), table]);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), dqt, Buffer.from([0xff, 0xd9])]);
    expect(readQuantizationSums(jpeg).get(0)).toBe(64);
    expect(estimateJpegQuality(jpeg)).toBe(100);
  });
});
