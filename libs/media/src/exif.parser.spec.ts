import { ExifFormatError, parseExif } from './exif.parser';

/** One IFD entry to build: rationals are given as flat [numerator, denominator, ...] pairs. */
interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
  /** Index of the IFD this LONG entry points to (its value is filled in at layout). */
  pointsTo?: number;
}

const sizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 };

function countOf(entry: Entry): number {
  if (typeof entry.values === 'string') return Buffer.byteLength(entry.values, 'utf8') + 1;
  return entry.type === 5 || entry.type === 10 ? entry.values.length / 2 : entry.values.length;
}

/** A TIFF (the body of an EXIF block) holding `ifds`; IFD 0 comes first and chains to none. */
function buildTiff(littleEndian: boolean, ifds: Entry[][]): Buffer {
  const offsets: number[] = [];
  let cursor = 8;
  const dataStarts: number[] = [];
  for (const entries of ifds) {
    offsets.push(cursor);
    cursor += 2 + entries.length * 12 + 4;
    dataStarts.push(cursor);
    for (const entry of entries) {
      const bytes = countOf(entry) * sizes[entry.type];
      if (bytes > 4) cursor += bytes + (bytes % 2);
    }
  }
  const out = Buffer.alloc(cursor);
  const u16 = (v: number, at: number) => (littleEndian ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (littleEndian ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  const i32 = (v: number, at: number) => (littleEndian ? out.writeInt32LE(v, at) : out.writeInt32BE(v, at));
  out.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(offsets[0], 4);
  ifds.forEach((entries, i) => {
    u16(entries.length, offsets[i]);
    let data = dataStarts[i];
    entries.forEach((entry, e) => {
      const at = offsets[i] + 2 + e * 12;
      const count = countOf(entry);
      const bytes = count * sizes[entry.type];
      u16(entry.tag, at);
      u16(entry.type, at + 2);
      u32(count, at + 4);
      let target = at + 8;
      if (bytes > 4) {
        u32(data, at + 8);
        target = data;
        data += bytes + (bytes % 2);
      }
      const values = entry.pointsTo !== undefined ? [offsets[entry.pointsTo]] : entry.values;
      if (typeof values === 'string') {
        out.write(values, target, 'utf8');
        return;
      }
      values.forEach((value, v) => {
        const size = entry.type === 5 || entry.type === 10 ? 4 : sizes[entry.type];
        const p = target + v * size;
        if (size === 1) out[p] = value;
        else if (size === 2) u16(value, p);
        else if (entry.type === 9 || entry.type === 10) i32(value, p);
        else u32(value, p);
      });
    });
  });
  return out;
}

const camera: Entry[][] = [
  [
    { tag: 0x010f, type: 2, values: 'Canon' },
    { tag: 0x0110, type: 2, values: 'Canon EOS 600D' },
    { tag: 0x0112, type: 3, values: [6] },
    { tag: 0x011a, type: 5, values: [72, 1] },
    { tag: 0x0128, type: 3, values: [2] },
    { tag: 0x0132, type: 2, values: '2011:11:19 17:09:23' },
    { tag: 0x9999, type: 3, values: [1] }, // unknown: skipped
    { tag: 0x8769, type: 4, values: [0], pointsTo: 1 },
    { tag: 0x8825, type: 4, values: [0], pointsTo: 2 },
  ],
  [
    { tag: 0x829a, type: 5, values: [1, 125] },
    { tag: 0x829d, type: 5, values: [28, 10] },
    { tag: 0x8827, type: 3, values: [400] },
    { tag: 0x9000, type: 7, values: [...Buffer.from('0231')] },
    { tag: 0x9003, type: 2, values: '2011:11:19 17:09:23' },
    { tag: 0x9204, type: 10, values: [-1, 3] },
    { tag: 0x920a, type: 5, values: [50, 1] },
    { tag: 0xa001, type: 3, values: [1] },
    { tag: 0xa002, type: 4, values: [5184] },
    { tag: 0xa003, type: 3, values: [3456] },
  ],
  [
    { tag: 0x0000, type: 1, values: [2, 2, 0, 0] },
    { tag: 0x0001, type: 2, values: 'N' },
    { tag: 0x0002, type: 5, values: [22, 1, 32, 1, 1563, 100] },
    { tag: 0x0006, type: 5, values: [125, 10] },
  ],
];

const expected = [
  { name: 'Make', type: 2, value: 'Canon' },
  { name: 'Model', type: 2, value: 'Canon EOS 600D' },
  { name: 'Orientation', type: 3, value: 'Right-top' },
  { name: 'XResolution', type: 5, value: '72' },
  { name: 'ResolutionUnit', type: 3, value: 'Inch' },
  { name: 'DateTime', type: 2, value: '2011:11:19 17:09:23' },
  { name: 'ExposureTime', type: 5, value: '1/125 sec.' },
  { name: 'FNumber', type: 5, value: 'f/2.8' },
  { name: 'ISOSpeedRatings', type: 3, value: '400' },
  { name: 'ExifVersion', type: 7, value: '0231' },
  { name: 'DateTimeOriginal', type: 2, value: '2011:11:19 17:09:23' },
  { name: 'ExposureBiasValue', type: 10, value: '-0.33 EV' },
  { name: 'FocalLength', type: 5, value: '50 mm' },
  { name: 'ColorSpace', type: 3, value: 'sRGB' },
  { name: 'PixelXDimension', type: 4, value: '5184' },
  { name: 'PixelYDimension', type: 3, value: '3456' },
  { name: 'GPSVersionID', type: 1, value: '2.2.0.0' },
  { name: 'GPSLatitudeRef', type: 2, value: 'N' },
  { name: 'GPSLatitude', type: 5, value: '22, 32, 15.63' },
  { name: 'GPSAltitude', type: 5, value: '12.5' },
];

describe('parseExif', () => {
  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('reads IFD0, Exif and GPS tags of a %s TIFF, formatted like libexif', (_name, littleEndian) => {
    expect(parseExif(buildTiff(littleEndian, camera))).toEqual(expected);
  });

  it('accepts the block with its Exif\\0\\0 prefix, as sharp hands it out', () => {
    expect(parseExif(Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), buildTiff(true, camera)]))).toEqual(expected);
  });

  it.each([
    ['#6', [6], 'Right-top'],
    ['#1', [1], 'Top-left'],
    ['#8', [8], 'Left-bottom'],
    ['unknown', [42], '42'],
  ])('names orientation %s', (_name, values, text) => {
    expect(parseExif(buildTiff(true, [[{ tag: 0x0112, type: 3, values }]]))).toEqual([{ name: 'Orientation', type: 3, value: text }]);
  });

  it('prints long exposures in seconds and drops empty text', () => {
    const tiff = buildTiff(true, [[{ tag: 0x8769, type: 4, values: [0], pointsTo: 1 }, { tag: 0x010f, type: 2, values: '' }], [{ tag: 0x829a, type: 5, values: [2, 1] }]]);
    expect(parseExif(tiff)).toEqual([{ name: 'ExposureTime', type: 5, value: '2 sec.' }]);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['too short', Buffer.from('II*\0')],
    ['no byte order', Buffer.from('XX*\0\x08\0\0\0')],
    ['no magic', Buffer.from('II+\0\x08\0\0\0')],
    ['JPEG bytes', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0])],
  ])('refuses a block that is not TIFF (%s)', (_name, block) => {
    expect(() => parseExif(block)).toThrow(ExifFormatError);
  });

  it('survives offsets pointing outside the block and IFDs pointing back at themselves', () => {
    const tiff = buildTiff(true, [[{ tag: 0x010f, type: 2, values: 'Canon' }, { tag: 0x8769, type: 4, values: [0], pointsTo: 0 }]]);
    expect(parseExif(tiff)).toEqual([{ name: 'Make', type: 2, value: 'Canon' }]);
    const outside = Buffer.from(tiff);
    outside.writeUInt32LE(0xfffffff0, 8 + 2 + 8); // Make's value offset
    expect(parseExif(outside)).toEqual([]);
    const badIfd = Buffer.from(tiff);
    badIfd.writeUInt32LE(0x7fffffff, 4);
    expect(parseExif(badIfd)).toEqual([]);
  });

  it('never throws anything but ExifFormatError on damaged blocks', () => {
    const good = buildTiff(false, camera);
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let i = 0; i < 2000; i++) {
      const damaged = Buffer.from(good.subarray(0, Math.floor(random() * good.length) + 8));
      for (let n = 0; n < 4; n++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      try {
        const tags = parseExif(damaged);
        for (const tag of tags) expect(tag.value.length).toBeLessThanOrEqual(1000);
      } catch (error) {
        expect(error).toBeInstanceOf(ExifFormatError);
      }
    }
  });
});
