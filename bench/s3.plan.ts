import type { MeasuredCell } from './support/cells';
import type { LoadPlan } from './support/load';
import { SOURCE, THUMBNAIL } from './thumbnail.plan';

/** The thumbnail bench's source and fop, so the two sections measure the same work. */
export { SOURCE, THUMBNAIL };

/** The four paths: each storage with the worker's source cache warm (one object) or cold (a new object per request). */
export type S3Path = 'local disk, warm source' | 'S3, warm source' | 'local disk, cold source' | 'S3, cold source';

/** Requests in flight, one cell each per path. */
export const S3_LEVELS = [1, 4] as const;

/** Time box of every cell: 8 s or 80 requests, whichever comes first (a cold cell uses a fresh object per request). */
export const S3_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 0, durationMs: 8_000, maxOps: 80 };

/** Untimed requests before each cell: the first fetch of the warm source falls here. */
export const WARMUP_OPS = 8;

/** Copies of the source on each storage for the cold paths: every cell's warm-up and budget, and those in flight at its end. */
export const COLD_COPIES = S3_LEVELS.reduce((sum, level) => sum + WARMUP_OPS + S3_PLAN.maxOps + level, 0);

/** Uploads running at once while the copies are made. */
export const PARALLEL_UPLOADS = 4;

/** What the run measured. */
export interface S3Run {
  cells: MeasuredCell<S3Path>[];
  sourceBytes: number;
  workerConcurrency: string;
}
