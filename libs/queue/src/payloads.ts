/** What a fop job asks for. References only: Redis carries control, never media bytes. */
export interface FopJobData {
  source: { bucket: string; key: string; etag: string; size: number };
  /** Normalised pipeline text, e.g. `imageView2/2/w/320`. */
  pipeline: string;
  tier: string;
  /** Where the worker stores the result in the result cache. */
  resultKey: string;
  /** When the request that created the job arrived, ms since epoch. */
  requestedAt: number;
}

/** What a completed fop job answers: a reference to the cached result. */
export interface FopJobResult {
  resultKey: string;
  mime: string;
  size: number;
  /** Processing time inside the worker, ms. */
  durationMs: number;
}

/** How a job ended, as the sync waiter sees it. */
export type JobOutcome =
  | { state: 'completed'; result: FopJobResult }
  | { state: 'failed'; status: number; error: string; finishedOn?: number }
  | { state: 'timeout' };
