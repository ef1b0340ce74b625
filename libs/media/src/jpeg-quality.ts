// Estimating a JPEG's quality from its quantization tables, the way ImageMagick does
// (coders/jpeg.c, JPEGSetImageQuality): IJG's encoder scales the two standard tables of the JPEG
// spec (Annex K) by a factor derived from the quality, so the sums of a file's tables say which
// quality made them. ImageMagick hard-codes those sums for qualities 1–100; this module computes
// them from the same formula instead, and picks the quality whose scaled tables are closest.
// Files written with other tables (Photoshop, mozjpeg's defaults) get the nearest IJG quality,
// which is the same approximation ImageMagick makes.

/** Annex K.1 luminance table, natural order. */
const standardLuminance = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
/** Annex K.2 chrominance table, natural order. */
const standardChrominance = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99,
];

/** IJG's jpeg_quality_scaling and jpeg_add_quant_table, baseline (values clamped to 1–255). */
function scaledTableSum(table: readonly number[], quality: number): number {
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2;
  return table.reduce((sum, value) => sum + Math.min(255, Math.max(1, Math.floor((value * scale + 50) / 100))), 0);
}

const expectedSums = Array.from({ length: 100 }, (_, i) => ({
  quality: i + 1,
  luminance: scaledTableSum(standardLuminance, i + 1),
  chrominance: scaledTableSum(standardChrominance, i + 1),
}));

/** Sums of the quantization tables found before the first scan, by table id (0–3). */
export function readQuantizationSums(jpeg: Buffer): Map<number, number> {
  return walkHeader(jpeg).sums;
}

/**
 * True when `head`, the start of a file, holds everything the quality estimate reads: a JPEG's
 * segments up to its first scan. Also true for what is no JPEG or is corrupt, where more bytes
 * would not change the answer.
 */
export function reachesFirstScan(head: Buffer): boolean {
  return walkHeader(head).complete;
}

/** The segments before the first scan: quantization table sums, and whether the walk ended on its own. */
function walkHeader(jpeg: Buffer): { sums: Map<number, number>; complete: boolean } {
  const sums = new Map<number, number>();
  const ended = { sums, complete: true };
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return ended;
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) return ended;
    const marker = jpeg[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return ended; // start of scan, end of image
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    const end = at + 2 + length;
    if (length < 2) return ended;
    if (end > jpeg.length) break;
    if (marker === 0xdb) {
      let p = at + 4;
      while (p < end) {
        const precision = jpeg[p] >> 4;
        const id = jpeg[p] & 0x0f;
        const size = precision === 0 ? 64 : 128;
        if (p + 1 + size > end || id > 3) return ended;
        let sum = 0;
        for (let i = 0; i < 64; i++) sum += precision === 0 ? jpeg[p + 1 + i] : jpeg.readUInt16BE(p + 1 + i * 2);
        sums.set(id, sum);
        p += 1 + size;
      }
    }
    at = end;
  }
  // The bytes ran out inside the header: a longer head may hold more tables.
  return { sums, complete: false };
}

/**
 * The IJG quality (1–100) whose standard tables are closest to the file's, or undefined when
 * the buffer is not a JPEG with a luminance table. Colour files compare both tables, greyscale
 * files (one table) the luminance table alone.
 */
export function estimateJpegQuality(jpeg: Buffer): number | undefined {
  const sums = readQuantizationSums(jpeg);
  const luminance = sums.get(0);
  if (luminance === undefined) return undefined;
  const chrominance = sums.get(1);
  let best = expectedSums[0];
  let bestDistance = Infinity;
  for (const expected of expectedSums) {
    const distance =
      Math.abs(expected.luminance - luminance) +
      (chrominance === undefined ? 0 : Math.abs(expected.chrominance - chrominance));
    // Ties go to the higher quality: at the top of the scale several qualities share tables of ones.
    if (distance <= bestDistance) {
      best = expected;
      bestDistance = distance;
    }
  }
  return best.quality;
}
