import { DEFAULT_TIMEOUT_MS, FLAVORS, SandboxLimits } from '@fopflow/ufop';
import type { MeasuredCell } from './support/cells';
import type { LoadPlan } from './support/load';
import { BenchKey, keysEnv } from './support/signed-client';
import type { SourceImageSpec } from './support/source-image';

/** The source every path tones: a ~1 MP photo-like JPEG. */
export const SOURCE: SourceImageSpec = { width: 1152, height: 864, quality: 85 };

/**
 * The command's name. Not `my-sepia`: the end-to-end suite removes every sandbox of that name when
 * it ends, and a platform's orphan sweep removes old sandboxes of the names it knows, so a run of
 * either beside this bench would take the other's containers. The program answers to any name.
 */
export const UFOP_NAME = 'bench-sepia';

/** The sepia level of every request (1–5; the cost does not depend on it). */
export const SEPIA_LEVEL = 3;

/** The fop step, as a URL carries it and as the program gets it in `?cmd=`. */
export const SEPIA_FOP = `${UFOP_NAME}/level/${SEPIA_LEVEL}`;

/** The program's directory, from the repository root: what `fopctl build` would upload. */
export const PROGRAM_DIR = ['libs', 'ufop', 'examples', 'sepia-node'] as const;

/** One core and 256 MiB per instance: the flavor the end-to-end suite registers the sepia filter with. */
export const FLAVOR = 'C1M256';

/**
 * The quotas of every sandbox, the platform's and the bench's: the flavor's CPU and memory, and
 * processes and /tmp as given to the platform (platformEnv), so that both run under the same limits.
 */
export const SANDBOX_LIMITS: SandboxLimits = {
  cpus: FLAVORS[FLAVOR].cpus,
  memoryBytes: FLAVORS[FLAVOR].memoryMiB * 1024 * 1024,
  pidsLimit: 128,
  tmpfsBytes: 64 * 1024 * 1024,
};

/**
 * What the program alone may take per request, as an instance's worker allows it: the registered
 * command's timeout (its default) and the platform's default FOPFLOW_MAX_UPLOAD_BYTES.
 */
export const HANDLER_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;
export const MAX_RESULT_BYTES = 512 * 1024 * 1024;

/** The registry the builder pushes to (`bash docker/registry.sh` starts it). */
export const REGISTRY = '127.0.0.1:5000';

/** The account that registers, builds and resizes the command, and owns the bucket. */
export const UFOP_KEY: BenchKey = { accessKey: 'bench-ufop-ak', secretKey: 'bench-ufop-sk-not-a-secret', tier: 'paid' };

export const BUCKET = 'bench';
export const SOURCE_KEY = 'photo.jpg';
/** The key of the n-th copy of the source, each a new result key and so a real job. */
export const copyKey = (n: number): string => `copies/photo-${n}.jpg`;

/** How the platform differs from its defaults: the owner's key, the pools file, the registry, the sandboxes' quotas. */
export function platformEnv(poolsFile: string): Record<string, string> {
  return {
    FOPFLOW_KEYS: keysEnv(UFOP_KEY),
    FOPFLOW_POOLS_FILE: poolsFile,
    FOPFLOW_UFOP_REGISTRY: REGISTRY,
    FOPFLOW_UFOP_PIDS_LIMIT: String(SANDBOX_LIMITS.pidsLimit),
    FOPFLOW_UFOP_TMPFS_BYTES: String(SANDBOX_LIMITS.tmpfsBytes),
  };
}

/**
 * Every built-in pool at 0 instances: only the command's own instances run, and the cores are
 * theirs and the gateway's.
 */
export const POOLS_FILE_CONTENT = {
  pools: {
    image: { commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'], minInstances: 0, maxInstances: 1 },
    av: { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
  },
};

/** Requests in flight; the program alone runs on as many sandboxes as Fopflow has instances. */
export const ONE_INSTANCE_LEVELS = [1, 2] as const;
export const TWO_INSTANCE_LEVELS = [2] as const;
export const CACHED_LEVELS = [1, 2] as const;

/**
 * Time box of the program-alone and uncached cells: a request takes ~0.1 s, so 10 s is about a
 * hundred of them; the op budget only matters for the fastest cells and bounds the copies needed.
 */
export const CELL_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 0, durationMs: 10_000, maxOps: 180 };
/** Cached answers take a few ms: a shorter box, and a budget no cell reaches. */
export const CACHED_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 0, durationMs: 5_000, maxOps: 50_000 };
/** Untimed requests before each cell: the uncached supply is finite, so a count rather than a time. */
export const WARMUP_OPS = 3;

/** The uncached cells: 1 instance at 1 and 2 in flight, 2 instances at 2. */
const UNCACHED_CELLS = ONE_INSTANCE_LEVELS.length + TWO_INSTANCE_LEVELS.length;
/** Copies of the source uploaded: every uncached cell's warm-up and op budget, with room to spare. */
export const SOURCE_COPIES = UNCACHED_CELLS * (CELL_PLAN.maxOps + WARMUP_OPS) + 10;
/** Uploads in flight while the copies go up. */
export const UPLOAD_SLOTS = 4;

/** Cold starts measured (`resize -n 1` from 0 to a ready instance); the report gives each and the median. */
export const COLD_START_TRIALS = 3;
/** How often the command's instances are read while waiting for one, in ms: the resolution of a cold start. */
export const INSTANCE_POLL_MS = 50;

/** Times each part of a request is timed alone, one after another: the hop, the copy into a work dir. */
export const PART_REPEATS = 200;

/** How long each phase may take before the run fails, in ms. */
export const SCALER_START_TIMEOUT_MS = 30_000;
/** A first build may push the whole base image to the registry; the platform's own build limit. */
export const BUILD_TIMEOUT_MS = 10 * 60_000;
export const BUILD_POLL_MS = 500;
export const READY_TIMEOUT_MS = 120_000;
export const GONE_TIMEOUT_MS = 60_000;

/** The ways a sepia is made, in table order. */
export type UfopPath =
  | 'program alone, 1 sandbox'
  | 'program alone, 2 sandboxes'
  | 'Fopflow uncached, 1 instance'
  | 'Fopflow uncached, 2 instances'
  | 'Fopflow cached';

export type UfopCell = MeasuredCell<UfopPath>;

/** The program alone with the same number of sandboxes (so CPU quota) as the cell's instances. */
export function baselineOf(path: UfopPath, concurrency: number): UfopPath {
  if (path === 'Fopflow uncached, 1 instance' || path === 'program alone, 1 sandbox') return 'program alone, 1 sandbox';
  if (path === 'Fopflow cached' && concurrency === 1) return 'program alone, 1 sandbox';
  return 'program alone, 2 sandboxes';
}

/** One `resize -n 1` from 0 to the first ready instance, in ms from the resize call. */
export interface ColdStart {
  totalMs: number;
  /** Until the instance's worker process had loaded and recorded its start (the scaler's tick wait included). */
  processMs: number;
  /** The worker's own "warmed up in": its sandbox started, answering GET /health, and its warm-up. */
  warmingMs?: number;
  /** Of warmingMs, creating and starting the sandbox's two containers (UfopSandbox.start). */
  sandboxMs?: number;
}

/** Where CPU goes: the sandboxes' programs (ffmpeg included) and forwarders, and the platform's processes. */
export type CpuPart = 'programs' | 'forwarders' | 'workers' | 'gateway' | 'redis';

/** CPU ms per request of each part over one cell, its warm-up included; a part not running is absent. */
export type CpuPerRequest = Partial<Record<CpuPart, number>>;

/** Nearest-rank percentiles of one part of a request, timed alone. */
export interface PartTiming {
  p50Ms: number;
  p99Ms: number;
}

/** What the report needs besides the cells. */
export interface UfopRun {
  cells: UfopCell[];
  sourceBytes: number;
  resultBytes: number;
  coldStarts: ColdStart[];
  /** GET /health through a sandbox's socket: the hop's own cost, a new connection each time. */
  hop: PartTiming;
  /** Copying the source into a fresh work dir and removing it, as a worker's job does. */
  workDirCopy: PartTiming;
  /** The image the platform built, and how long register → ready took (build and push). */
  image: string;
  buildS: number;
  /** Jobs of the command one instance runs at once, as the instances logged it. */
  instanceConcurrency: string;
  /** Share of the programs' CPU each of the two instances' sandboxes used in the 2-instance cell. */
  instanceShares: number[];
  /** Where the CPU went in the two cells on 2 sandboxes: the program alone, and Fopflow on 2 instances. */
  twoSandboxesCpu: CpuPerRequest;
  twoInstancesCpu: CpuPerRequest;
  /** The scaler's tick, in ms: a resize waits for the next one. */
  scalerTickMs: number;
}
