import { range } from './support/distinct-urls';
import type { LoadPlan } from './support/load';
import type { SourceImageSpec } from './support/source-image';

/** The source every path thumbnails: a 12 MP photo-like JPEG. */
export const SOURCE: SourceImageSpec = { width: 4000, height: 3000, quality: 85 };

/** The thumbnail: Qiniu `imageView2/1` (cover, centre crop), JPEG at the fop's default quality. */
export const THUMBNAIL = { width: 320, height: 320, quality: 75 } as const;

/** Requests (or sharp calls) in flight at once, one table row each per path. */
export const CONCURRENCY_LEVELS = [1, 4, 16] as const;

/** Time box of every cell: 9 cells × 11 s keeps the whole run near two minutes on 2 cores. */
export const CELL_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 1_000, durationMs: 10_000, maxOps: 50_000 };

/**
 * Uncached requests vary q and the box a little so that each one has a new result key and runs a
 * real job, while the work stays that of (a): q within 10 of 75, each side within 10 px of 320.
 */
export const UNCACHED_VARIATION = { qualities: range(65, 85), widths: range(310, 330), heights: range(310, 330) };
