import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noisyJpeg } from './image-test-images.fixture';
import { readJpegHead } from './jpeg-head.reader';
import { estimateJpegQuality } from './jpeg-quality';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'jpeg-head-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function written(name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, data);
  return path;
}

/** An APP15 segment of `length` bytes of payload, as a file's metadata would take room before the tables. */
function appSegment(length: number): Buffer {
  const segment = Buffer.alloc(4 + length, 0x20);
  segment.set([0xff, 0xef]);
  segment.writeUInt16BE(length + 2, 2);
  return segment;
}

describe('readJpegHead', () => {
  it('reads a large JPEG only up to its first scan, and its tables give the same quality as the whole file', async () => {
    const jpeg = await noisyJpeg(600, 400, 70);
    expect(jpeg.length).toBeGreaterThan(64 * 1024);
    const head = await readJpegHead(await written('large.jpg', jpeg), jpeg.length);
    expect(head.length).toBe(64 * 1024);
    expect(estimateJpegQuality(head)).toBe(70);
  });

  it('reads further when metadata pushes the tables past the first 64 KB', async () => {
    const jpeg = await noisyJpeg(600, 400, 40);
    // Three near-full APP segments (192 KB) between SOI and the tables.
    const padded = Buffer.concat([jpeg.subarray(0, 2), appSegment(65_000), appSegment(65_000), appSegment(65_000), jpeg.subarray(2)]);
    const head = await readJpegHead(await written('padded.jpg', padded), padded.length);
    expect(head.length).toBeGreaterThan(64 * 1024);
    expect(estimateJpegQuality(head)).toBe(40);
  });

  it('reads a small file whole', async () => {
    const jpeg = await noisyJpeg(40, 30, 85);
    const head = await readJpegHead(await written('small.jpg', jpeg), jpeg.length);
    expect(head.equals(jpeg)).toBe(true);
  });
});
