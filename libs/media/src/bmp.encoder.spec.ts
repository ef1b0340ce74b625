import { encodeBmp } from './bmp.encoder';

describe('encodeBmp', () => {
  // 3×2: top row red, green, blue; bottom row white, black, grey.
  const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128]);
  const bmp = encodeBmp(rgb, 3, 2);

  it('writes the file and info headers of a 24-bit BI_RGB bitmap', () => {
    const rowBytes = 12; // 9 bytes padded to a multiple of 4
    expect(bmp.subarray(0, 2).toString('latin1')).toBe('BM');
    expect(bmp.readUInt32LE(2)).toBe(bmp.length);
    expect(bmp.length).toBe(54 + rowBytes * 2);
    expect(bmp.readUInt32LE(10)).toBe(54);
    expect(bmp.readUInt32LE(14)).toBe(40);
    expect(bmp.readInt32LE(18)).toBe(3);
    expect(bmp.readInt32LE(22)).toBe(2);
    expect(bmp.readUInt16LE(28)).toBe(24);
    expect(bmp.readUInt32LE(30)).toBe(0);
    expect(bmp.readUInt32LE(34)).toBe(rowBytes * 2);
  });

  it('stores rows bottom-up, pixels as BGR, rows padded with zeros', () => {
    const bottom = [...bmp.subarray(54, 66)];
    const top = [...bmp.subarray(66, 78)];
    expect(bottom).toEqual([255, 255, 255, 0, 0, 0, 128, 128, 128, 0, 0, 0]);
    expect(top).toEqual([0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0]);
  });

  it('refuses a buffer that does not match the size', () => {
    expect(() => encodeBmp(Buffer.alloc(5), 1, 2)).toThrow(RangeError);
    expect(() => encodeBmp(Buffer.alloc(0), 0, 0)).toThrow(RangeError);
  });
});
