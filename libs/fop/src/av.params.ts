import { type StepAt, quoteToken, stepError } from './params';

// Value parsers shared by the audio/video commands. Each returns a plain number (or small object)
// and has a formatter that writes the shortest spelling, so canonical text never grows.

/** Width and height in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

const bitrateToken = /^([0-9]+)(?:\.([0-9]+))?([kKmM]?)$/;

/**
 * Parses a Qiniu bitrate (`128k`, `1.25m`, `96000`) into bits per second within [minBps, maxBps].
 * `k` is 1000 and `m` 1,000,000, as in ffmpeg; a value that is not a whole number of bps is refused.
 */
export function parseBitrate(at: StepAt, label: string, token: string, minBps: number, maxBps: number): number {
  const match = bitrateToken.exec(token);
  const problem = () =>
    stepError(
      at,
      `${label} must be a bitrate from ${formatBitrate(minBps)} to ${formatBitrate(maxBps)} bits per second ` +
        `(like 128k, 1.5m or 96000), got ${quoteToken(token)}`,
      token,
    );
  if (!match) throw problem();
  const [, whole, fraction = '', suffix] = match;
  const exponent = suffix === '' ? 0 : suffix.toLowerCase() === 'k' ? 3 : 6;
  // Decimal string arithmetic: 1.25m must be exactly 1250000, with no binary rounding on the way.
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) throw problem();
  const digits = (whole + significant.padEnd(exponent, '0')).replace(/^0+(?=.)/, '');
  if (digits.length > 12) throw problem();
  const bps = Number(digits);
  if (bps < minBps || bps > maxBps) throw problem();
  return bps;
}

/** Shortest of `96000`, `96k`, `0.096m` for a bitrate in bps; ties go to `k` (800k, not 0.8m). */
export function formatBitrate(bps: number): string {
  const candidates = [`${bps / 1000}k`, `${bps / 1_000_000}m`, `${bps}`];
  return candidates.reduce((best, text) => (text.length < best.length ? text : best));
}

const secondsToken = /^([0-9]+)(?:\.([0-9]{1,3}))?$/;

/**
 * Parses seconds with up to millisecond precision (`3`, `3.5`, `3.345`, as Qiniu documents) into
 * whole milliseconds within [minMs, maxMs]. Integer milliseconds keep canonical text exact.
 */
export function parseMilliseconds(at: StepAt, label: string, token: string, minMs: number, maxMs: number): number {
  const match = secondsToken.exec(token);
  const ms = match && match[1].length <= 9 ? Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0')) : NaN;
  if (!(ms >= minMs && ms <= maxMs)) {
    throw stepError(
      at,
      `${label} must be seconds from ${formatSeconds(minMs)} to ${formatSeconds(maxMs)} with at most 3 decimals, ` +
        `got ${quoteToken(token)}`,
      token,
    );
  }
  return ms;
}

/** Milliseconds as seconds without trailing zeros: 3500 → `3.5`, 3000 → `3`. */
export function formatSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const fraction = String(ms % 1000).padStart(3, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** Parses `<W>x<H>` with each side within its range, e.g. avthumb's `s/640x360`. */
export function parsePixelSize(at: StepAt, label: string, token: string, width: [number, number], height: [number, number]): PixelSize {
  const match = /^([0-9]{1,9})x([0-9]{1,9})$/.exec(token);
  const size = match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
  if (!size || size.width < width[0] || size.width > width[1] || size.height < height[0] || size.height > height[1]) {
    throw stepError(
      at,
      `${label} must be <width>x<height> with width from ${width[0]} to ${width[1]} and height from ${height[0]} ` +
        `to ${height[1]}, got ${quoteToken(token)}`,
      token,
    );
  }
  return size;
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/** Parses a display aspect ratio `<w>:<h>` (each 1 to 9999) reduced to lowest terms, so 32:18 is 16:9. */
export function parseAspectRatio(at: StepAt, label: string, token: string): { width: number; height: number } {
  const match = /^([0-9]{1,4}):([0-9]{1,4})$/.exec(token);
  const width = match ? Number(match[1]) : 0;
  const height = match ? Number(match[2]) : 0;
  if (width < 1 || height < 1) {
    throw stepError(at, `${label} must be <w>:<h> with each an integer from 1 to 9999 (like 16:9), got ${quoteToken(token)}`, token);
  }
  const divisor = greatestCommonDivisor(width, height);
  return { width: width / divisor, height: height / divisor };
}
