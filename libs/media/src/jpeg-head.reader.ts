import { promises as fs } from 'node:fs';
import { reachesFirstScan } from './jpeg-quality';

/** Lengths of the file's start tried in turn: EXIF, ICC and XMP segments rarely push the first scan past 64 KB. */
const HEAD_LENGTHS = [64 * 1024, 1024 * 1024];

/**
 * The start of the JPEG file at `path` (`size` bytes) up to its first scan: what the quality
 * estimate reads, without bringing a large source into memory only for its tables. The whole file
 * when its header runs past every length tried.
 */
export async function readJpegHead(path: string, size: number): Promise<Buffer> {
  const file = await fs.open(path, 'r');
  try {
    for (const length of HEAD_LENGTHS) {
      if (length >= size) break;
      const head = Buffer.alloc(length);
      const { bytesRead } = await file.read(head, 0, length, 0);
      if (reachesFirstScan(head.subarray(0, bytesRead))) return head.subarray(0, bytesRead);
    }
    return await fs.readFile(path);
  } finally {
    await file.close();
  }
}
