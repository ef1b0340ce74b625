// A small, bounds-checked reader for the EXIF block sharp hands out (`metadata().exif`): the TIFF
// structure behind "Exif\0\0", IFD0 and its Exif and GPS sub-IFDs. It knows a useful subset of
// tags and formats their values the way libexif (and so Qiniu's `exif`) prints them; every other
// tag is skipped. Corrupt offsets end the IFD they are in instead of throwing.
//
// Kept rather than exifr (installed, and a fine EXIF reader): Qiniu's `exif` answer gives each
// tag's EXIF type code as the file stores it (`{"ImageWidth":{"type":4,...}}`: SHORT or LONG
// varies by camera), and exifr hands out decoded values only, never the type; its revived values
// (Dates, reduced rationals) would also have to be turned back into libexif's text. Reading the
// IFDs ourselves is the smaller part of this file; the tag table and formats stay either way.

/** One tag: its name, its EXIF type code (1 BYTE, 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, ...) and its text. */
export interface ExifTag {
  name: string;
  type: number;
  value: string;
}

/** The EXIF block is not TIFF at all (no byte-order mark, no magic 42). */
export class ExifFormatError extends Error {
  override readonly name = 'ExifFormatError';
}

type Formatter = (values: number[] | string, type: number) => string;

const orientationNames = ['', 'Top-left', 'Top-right', 'Bottom-right', 'Bottom-left', 'Left-top', 'Right-top', 'Right-bottom', 'Left-bottom'];

/** Up to `digits` decimals, trailing zeros dropped: 15.63, 72, 0.5. */
function decimal(n: number, digits = 4): string {
  return Number.isFinite(n) ? String(Number(n.toFixed(digits))) : String(n);
}

const list: Formatter = (values) => (typeof values === 'string' ? values : values.map((n) => decimal(n)).join(', '));
const first = (format: (n: number) => string): Formatter => (values) =>
  typeof values === 'string' || values.length === 0 ? list(values, 0) : format(values[0]);

const formatters = {
  text: list,
  orientation: first((n) => orientationNames[n] ?? String(n)),
  resolutionUnit: first((n) => ({ 1: 'None', 2: 'Inch', 3: 'Centimeter' })[n] ?? String(n)),
  yCbCrPositioning: first((n) => ({ 1: 'Centered', 2: 'Co-sited' })[n] ?? String(n)),
  colorSpace: first((n) => ({ 1: 'sRGB', 65535: 'Uncalibrated' })[n] ?? String(n)),
  exposureTime: first((n) => (n > 0 && n < 1 ? `1/${Math.round(1 / n)} sec.` : `${decimal(n)} sec.`)),
  fNumber: first((n) => `f/${decimal(n, 1)}`),
  focalLength: first((n) => `${decimal(n, 1)} mm`),
  exposureBias: first((n) => `${n.toFixed(2)} EV`),
  version: (values) => (typeof values === 'string' ? values : values.map((n) => String.fromCharCode(n)).join('')),
  dotted: (values) => (typeof values === 'string' ? values : values.join('.')),
} satisfies Record<string, Formatter>;

interface TagInfo {
  name: string;
  format: Formatter;
}

const tag = (name: string, format: Formatter = formatters.text): TagInfo => ({ name, format });

const ifd0Tags: ReadonlyMap<number, TagInfo> = new Map([
  [0x0100, tag('ImageWidth')],
  [0x0101, tag('ImageLength')],
  [0x010e, tag('ImageDescription')],
  [0x010f, tag('Make')],
  [0x0110, tag('Model')],
  [0x0112, tag('Orientation', formatters.orientation)],
  [0x011a, tag('XResolution')],
  [0x011b, tag('YResolution')],
  [0x0128, tag('ResolutionUnit', formatters.resolutionUnit)],
  [0x0131, tag('Software')],
  [0x0132, tag('DateTime')],
  [0x013b, tag('Artist')],
  [0x0213, tag('YCbCrPositioning', formatters.yCbCrPositioning)],
  [0x8298, tag('Copyright')],
]);

const exifTags: ReadonlyMap<number, TagInfo> = new Map([
  [0x829a, tag('ExposureTime', formatters.exposureTime)],
  [0x829d, tag('FNumber', formatters.fNumber)],
  [0x8822, tag('ExposureProgram')],
  [0x8827, tag('ISOSpeedRatings')],
  [0x9000, tag('ExifVersion', formatters.version)],
  [0x9003, tag('DateTimeOriginal')],
  [0x9004, tag('DateTimeDigitized')],
  [0x9201, tag('ShutterSpeedValue')],
  [0x9202, tag('ApertureValue')],
  [0x9204, tag('ExposureBiasValue', formatters.exposureBias)],
  [0x9205, tag('MaxApertureValue')],
  [0x9207, tag('MeteringMode')],
  [0x9209, tag('Flash')],
  [0x920a, tag('FocalLength', formatters.focalLength)],
  [0xa000, tag('FlashpixVersion', formatters.version)],
  [0xa001, tag('ColorSpace', formatters.colorSpace)],
  [0xa002, tag('PixelXDimension')],
  [0xa003, tag('PixelYDimension')],
  [0xa402, tag('ExposureMode')],
  [0xa403, tag('WhiteBalance')],
  [0xa405, tag('FocalLengthIn35mmFilm')],
  [0xa406, tag('SceneCaptureType')],
  [0xa433, tag('LensMake')],
  [0xa434, tag('LensModel')],
]);

const gpsTags: ReadonlyMap<number, TagInfo> = new Map([
  [0x0000, tag('GPSVersionID', formatters.dotted)],
  [0x0001, tag('GPSLatitudeRef')],
  [0x0002, tag('GPSLatitude')],
  [0x0003, tag('GPSLongitudeRef')],
  [0x0004, tag('GPSLongitude')],
  [0x0005, tag('GPSAltitudeRef')],
  [0x0006, tag('GPSAltitude')],
  [0x0007, tag('GPSTimeStamp')],
  [0x0012, tag('GPSMapDatum')],
  [0x001d, tag('GPSDateStamp')],
]);

const exifPointer = 0x8769;
const gpsPointer = 0x8825;

/** Bytes per value of each EXIF type code. */
const typeBytes: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };
/** Most entries read from one IFD; real files have a few dozen. */
const maxEntriesPerIfd = 512;
/** Largest value read for one tag, in bytes. */
const maxValueBytes = 64 * 1024;
/** Longest text kept for one tag, in characters. */
const maxTextChars = 1000;

class TiffReader {
  constructor(
    private readonly data: Buffer,
    private readonly littleEndian: boolean,
  ) {}

  has(offset: number, bytes: number): boolean {
    return offset >= 0 && bytes >= 0 && offset + bytes <= this.data.length;
  }

  u16(at: number): number {
    return this.littleEndian ? this.data.readUInt16LE(at) : this.data.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at);
  }

  /** The values of an entry whose data starts at `at`: numbers, or text for ASCII. */
  values(type: number, count: number, at: number): number[] | string {
    const d = this.data;
    if (type === 2) {
      const text = d.subarray(at, at + count).toString('latin1').split('\0')[0];
      return Buffer.from(text, 'latin1').toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, maxTextChars);
    }
    const values: number[] = [];
    const le = this.littleEndian;
    for (let i = 0; i < count; i++) {
      const p = at + i * typeBytes[type];
      switch (type) {
        case 1:
        case 7:
          values.push(d[p]);
          break;
        case 6:
          values.push(d.readInt8(p));
          break;
        case 3:
          values.push(this.u16(p));
          break;
        case 8:
          values.push(le ? d.readInt16LE(p) : d.readInt16BE(p));
          break;
        case 4:
        case 13:
          values.push(this.u32(p));
          break;
        case 9:
          values.push(le ? d.readInt32LE(p) : d.readInt32BE(p));
          break;
        case 5:
        case 10: {
          const signed = type === 10;
          const num = signed ? (le ? d.readInt32LE(p) : d.readInt32BE(p)) : this.u32(p);
          const den = signed ? (le ? d.readInt32LE(p + 4) : d.readInt32BE(p + 4)) : this.u32(p + 4);
          values.push(den === 0 ? 0 : num / den);
          break;
        }
        case 11:
          values.push(le ? d.readFloatLE(p) : d.readFloatBE(p));
          break;
        case 12:
          values.push(le ? d.readDoubleLE(p) : d.readDoubleBE(p));
          break;
      }
    }
    return values;
  }
}

/**
 * Reads the known tags of an EXIF block (with or without its "Exif\0\0" prefix), in file order:
 * IFD0, then the Exif sub-IFD, then GPS. Throws ExifFormatError when the block is not TIFF.
 */
export function parseExif(block: Buffer): ExifTag[] {
  const data = block.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? block.subarray(6) : block;
  if (data.length < 8) throw new ExifFormatError('EXIF block is too short to hold a TIFF header');
  const order = data.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') throw new ExifFormatError('EXIF block has no TIFF byte-order mark');
  const reader = new TiffReader(data, order === 'II');
  if (reader.u16(2) !== 42) throw new ExifFormatError('EXIF block has no TIFF magic number');

  const tags: ExifTag[] = [];
  const visited = new Set<number>();
  const readIfd = (offset: number, known: ReadonlyMap<number, TagInfo>): Map<number, number> => {
    const pointers = new Map<number, number>();
    if (visited.has(offset) || !reader.has(offset, 2)) return pointers;
    visited.add(offset);
    const count = Math.min(reader.u16(offset), maxEntriesPerIfd);
    for (let i = 0; i < count; i++) {
      const entry = offset + 2 + i * 12;
      if (!reader.has(entry, 12)) break;
      const id = reader.u16(entry);
      const type = reader.u16(entry + 2);
      const valueCount = reader.u32(entry + 4);
      const size = typeBytes[type];
      if (size === undefined || valueCount === 0 || valueCount * size > maxValueBytes) continue;
      const at = valueCount * size <= 4 ? entry + 8 : reader.u32(entry + 8);
      if (!reader.has(at, valueCount * size)) continue;
      if ((id === exifPointer || id === gpsPointer) && known === ifd0Tags && (type === 4 || type === 13)) {
        pointers.set(id, reader.u32(entry + 8));
        continue;
      }
      const info = known.get(id);
      if (!info) continue;
      const value = info.format(reader.values(type, valueCount, at), type);
      if (value !== '') tags.push({ name: info.name, type, value });
    }
    return pointers;
  };

  const pointers = readIfd(reader.u32(4), ifd0Tags);
  const exifOffset = pointers.get(exifPointer);
  if (exifOffset !== undefined) readIfd(exifOffset, exifTags);
  const gpsOffset = pointers.get(gpsPointer);
  if (gpsOffset !== undefined) readIfd(gpsOffset, gpsTags);
  return tags;
}
