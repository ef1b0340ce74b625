import { chooseMime, sniffMime } from './mime-sniff';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const latin = (text: string) => Buffer.from(text, 'latin1');

/** An ftyp box with the given major and compatible brands, as the first box of an ISO media file. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const size = 16 + compatible.length * 4;
  const box = Buffer.alloc(size);
  box.writeUInt32BE(size, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(major, 8, 'latin1');
  compatible.forEach((brand, index) => box.write(brand, 16 + index * 4, 'latin1'));
  return Buffer.concat([box, Buffer.alloc(32)]);
}

describe('sniffMime', () => {
  it.each([
    ['image/jpeg', hex('ffd8ffe0 0010 4a464946 00')],
    ['image/png', hex('89504e470d0a1a0a 0000000d 49484452')],
    ['image/gif', latin('GIF89a\x01\x00\x01\x00')],
    ['image/gif', latin('GIF87a\x01\x00\x01\x00')],
    ['image/webp', latin('RIFF\x24\x00\x00\x00WEBPVP8 ')],
    ['audio/wav', latin('RIFF\x24\x00\x00\x00WAVEfmt ')],
    ['image/bmp', latin('BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00')],
    ['image/tiff', hex('49492a00 08000000')],
    ['image/tiff', hex('4d4d002a 00000008')],
    ['image/avif', ftyp('avif', 'mif1', 'miaf')],
    ['image/avif', ftyp('mif1', 'avif')],
    ['image/heic', ftyp('heic', 'mif1', 'heic')],
    ['image/heif', ftyp('mif1', 'miaf')],
    ['video/mp4', ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41')],
    ['video/mp4', ftyp('mp42', 'mp42', 'isom')],
    ['video/quicktime', ftyp('qt  ', 'qt  ')],
    ['audio/mp4', ftyp('M4A ', 'M4A ', 'mp42')],
    ['video/3gpp', ftyp('3gp5', '3gp5')],
    ['video/webm', Buffer.concat([hex('1a45dfa3 9f 4286 81 01 4282 84'), latin('webm')])],
    ['video/x-matroska', Buffer.concat([hex('1a45dfa3 a3 4286 81 01 4282 88'), latin('matroska')])],
    ['audio/mpeg', latin('ID3\x04\x00\x00\x00\x00\x00\x00')],
    ['audio/mpeg', hex('fffb9064 00000000')],
    ['audio/ogg', latin('OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead')],
    ['video/ogg', latin('OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2a\x80theora')],
    ['audio/flac', latin('fLaC\x00\x00\x00\x22')],
    ['application/pdf', latin('%PDF-1.7\n%\xe2\xe3')],
  ])('recognises %s', (mime, head) => {
    expect(sniffMime(head)).toBe(mime);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['plain text', latin('hello world')],
    ['json', latin('{"a":1}')],
    ['text starting with BM', latin('BMW drivers unite')],
    ['AAC ADTS (not MPEG layer 3)', hex('fff15080 2bfffc')],
    ['truncated png', hex('89504e47')],
  ])('falls back to octet-stream for %s', (_, head) => {
    expect(sniffMime(head)).toBe('application/octet-stream');
  });
});

describe('chooseMime', () => {
  const png = hex('89504e470d0a1a0a');

  it('keeps a specific type from the client', () => {
    expect(chooseMime('text/plain; charset=utf-8', png)).toBe('text/plain; charset=utf-8');
  });

  it('sniffs when the client sent nothing or the generic type', () => {
    expect(chooseMime(undefined, png)).toBe('image/png');
    expect(chooseMime('', png)).toBe('image/png');
    expect(chooseMime('Application/Octet-Stream', png)).toBe('image/png');
    expect(chooseMime('application/octet-stream; x=1', png)).toBe('image/png');
  });

  it('ignores a malformed or oversized type', () => {
    expect(chooseMime('not a type', png)).toBe('image/png');
    expect(chooseMime(`image/${'x'.repeat(300)}`, png)).toBe('image/png');
    expect(chooseMime('image/png\r\nX-Evil: 1', png)).toBe('image/png');
  });
});
