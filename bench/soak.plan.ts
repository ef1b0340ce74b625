import type { LoadPlan } from './support/load';

/** In flight for the whole run: the thumbnail benchmark's highest level. */
export const SOAK_CONCURRENCY = 16;

/** The run: five minutes of uncached thumbnails, every request a new result. */
export const SOAK_PLAN: LoadPlan = { concurrency: SOAK_CONCURRENCY, warmupMs: 0, durationMs: 300_000, maxOps: 1_000_000 };

/** How often the resident memory of the apps is read, in ms. */
export const SAMPLE_EVERY_MS = 5_000;

/** Samples shown in the table: one per this many ms (every sample counts for the peaks). */
export const SHOW_EVERY_MS = 30_000;

/** One reading of the apps' resident memory, in MiB, and the requests answered by then. */
export interface MemorySample {
  atS: number;
  answered: number;
  workerMiB: number;
  gatewayMiB: number;
}

/** What the run measured. */
export interface SoakRun {
  samples: MemorySample[];
  /** The kernel's high-water marks at the end (VmHWM), in MiB. */
  workerPeakMiB: number;
  gatewayPeakMiB: number;
  requests: number;
  failed: number;
  perSecond: number;
  workerConcurrency: string;
  sourceBytes: number;
}
