import sharp from 'sharp';

/**
 * Sets how many threads libvips gives one image. Jobs per instance times this is what keeps the
 * cores busy: `npm run bench:tune` measures the pair and writes it to config/concurrency.json.
 */
export function setImageThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`libvips threads per image must be a whole number of at least 1, got ${threads}`);
  sharp.concurrency(threads);
}

/** Threads libvips gives one image now. */
export function imageThreads(): number {
  return sharp.concurrency();
}
