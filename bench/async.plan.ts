import type { MeasuredCell } from './support/cells';
import type { LoadPlan } from './support/load';
import type { BenchKey } from './support/signed-client';
import type { SourceImageSpec } from './support/source-image';

/** The one access key every async request signs with; paid, the platform's only tier. */
export const ASYNC_KEY: BenchKey = { accessKey: 'bench-async-ak', secretKey: 'bench-async-sk-not-a-secret', tier: 'paid' };

/** Where the sources live. */
export const BUCKET = 'bench';
/** The source every submission names in (a): jobs are only queued there, never run. */
export const SUBMIT_SOURCE_KEY = 'tiny.jpg';

/** The cheap source of every job: a thumbnail-sized JPEG, whose imageInfo is a header read. */
export const TINY_IMAGE: SourceImageSpec = { width: 64, height: 48, quality: 85 };

/** The fop of every job: JSON from the image header, no decode. */
export const CHEAP_FOP = 'imageInfo';

/** Requests in flight of `POST /v1/jobs` (one job each), one cell each. */
export const SINGLE_LEVELS = [1, 8, 32] as const;
/** Requests in flight of `POST /v1/jobs/batch`, one cell each. */
export const BATCH_LEVELS = [1, 4] as const;
/** Jobs in one batch request, in (a) and in how (b) submits. */
export const JOBS_PER_BATCH = 100;

/** Time box of every submission cell: 5 cells × 6 s. */
export const SUBMIT_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 1_000, durationMs: 5_000, maxOps: 200_000 };

/** Jobs of one end-to-end run, Fopflow's and raw BullMQ's alike. */
export const END_TO_END_JOBS = 5_000;
/** Untimed jobs through the platform first, so the gateway's and worker's code paths are warm. */
export const END_TO_END_WARMUP_JOBS = 300;
/** Uploads of the per-job source copies running at once. */
export const PARALLEL_UPLOADS = 8;
/** How long the worker may take for a whole run before the bench gives up, in ms. */
export const DRAIN_TIMEOUT_MS = 180_000;

/** Jobs at once of the raw BullMQ worker, besides the Fopflow worker's own concurrency. */
export const RAW_CONCURRENCIES = [1, 50] as const;

/** The two submission endpoints, as the table names them. */
export type SubmitPath = 'POST /v1/jobs' | 'POST /v1/jobs/batch';

/** What (a) measured, and what it left in the queues. */
export interface SubmitRun {
  /** One closed loop of signed requests per endpoint and level. */
  cells: MeasuredCell<SubmitPath>[];
  /** Jobs pending in the queues at the end: every accepted job, as no worker ran. */
  pendingAtEnd: number;
  /** Jobs a worker took (active, completed or failed) at the end: 0 unless something consumed them. */
  takenAtEnd: number;
}

/** One row of the throughput table: a number of jobs from the first submit to the last done. */
export interface ThroughputRun {
  path: string;
  jobs: number;
  /** Jobs the consumer runs at once. */
  jobsAtOnce: number;
  /** From the first add to the last, in s; undefined where the jobs were added before the clock started. */
  submitS?: number;
  /** From the clock's start to the last job done, in s. */
  totalS: number;
  failed: number;
  /** Mean time the Fopflow worker spent per job, in ms (its own figure); only for Fopflow. */
  meanJobMs?: number;
  otherCpuCores: number;
  /** CPU each process of the run used over it, in ms, by process (bench, gateway, worker, redis-server). */
  cpuMs?: Record<string, number>;
}

/** How fast jobs were only added (no consumer), raw BullMQ. */
export interface AddRun {
  path: string;
  jobs: number;
  jobsPerCall: number;
  seconds: number;
  /** Wall time of each call, in ms, in order. */
  callMs: number[];
  otherCpuCores: number;
}

/** Everything the async section reports. */
export interface AsyncRun {
  submit: SubmitRun;
  fopflow: ThroughputRun;
  rawProcessing: ThroughputRun[];
  rawAdds: AddRun[];
  sourceBytes: number;
  /** imageInfo jobs the Fopflow worker runs at once, as its log says. */
  workerConcurrency: string;
}
