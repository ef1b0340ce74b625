import type { PoolSettings } from '../libs/keeper/src/pool-settings';
import type { DecisionSample } from './scaler.watch';
import type { BenchKey } from './support/signed-client';
import type { SourceImageSpec } from './support/source-image';

/** The access key the burst is signed with, and the operator token the watch reads Keeper with. */
export const SCALER_KEY: BenchKey = { accessKey: 'bench-scaler-ak', secretKey: 'bench-scaler-sk-not-a-secret', tier: 'paid' };
export const ADMIN_TOKEN = 'bench-scaler-admin-token';

/**
 * The image pool, under a name of its own: the docker and swarm runtimes find their containers
 * and services by pool name on the whole engine, so a concurrent e2e run's `image` pool and this
 * one must not share it (each scaler would count, and retire, the other's instances).
 */
export const POOL = 'bench-image';

/** How the burst's pool scales: config/pools.json's image pool, min 1 max 4, a 10 s window. */
export const POOL_SETTINGS: PoolSettings = {
  commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'],
  minInstances: 1,
  maxInstances: 4,
  targetPendingPerInstance: 20,
  scaleDownStabilizationS: 10,
  maxScaleUpStep: 4,
  graceMs: 10_000,
  image: 'fopflow/worker:latest',
  version: '1',
  cpus: 1,
  memoryMiB: 1024,
};

/** The pools file of the run: the image pool, and the av pool at 0 so that no av worker runs. */
export const POOLS_FILE_CONTENT = {
  pools: {
    [POOL]: POOL_SETTINGS,
    'bench-av': { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
  },
};

/** The scaler's decision period. */
export const SCALER_TICK_MS = 500;

/** The burst: distinct imageView2 jobs of one photo, in batch requests. */
export const BURST_JOBS = 600;
export const BURST_BATCH = 100;
export const PHOTO: SourceImageSpec = { width: 1600, height: 1200, quality: 85 };
export const BUCKET = 'bench';
export const PHOTO_KEY = 'photo-2mp.jpg';
/** The i-th job of the burst: a new width each, so each is a new result and a real job. */
export const burstFop = (index: number): string => `imageView2/2/w/${200 + index}`;

/** How often Keeper's instances and the queue counts are read, in ms. */
export const INSTANCE_POLL_MS = 100;
/** How often the pool's last decision is read, in ms: half a tick, so that no decision is missed. */
export const DECISION_POLL_MS = 250;
/** Trace kept before the burst, in ms: the pool at rest. */
export const QUIET_BEFORE_BURST_MS = 2_000;
/**
 * Trace kept after the pool is back at its minimum, in ms: instances can be gone before the watch
 * has read the decision that retired the last of them.
 */
export const TAIL_AFTER_MIN_MS = 2_000;

/** How long each phase may take before the runtime counts as failed, in ms. */
export const FIRST_READY_TIMEOUT_MS = 120_000;
export const DRAIN_TIMEOUT_MS = 180_000;
export const BACK_TO_MIN_TIMEOUT_MS = 120_000;

/** Kubernetes HPA driven by KEDA, at their defaults, as the replay models them. */
export const HPA_MODEL = {
  /** KEDA's pollingInterval: how often the trigger (the backlog) is read, in s. */
  kedaPollingIntervalS: 30,
  /** HPA's sync period (--horizontal-pod-autoscaler-sync-period), in s. */
  hpaSyncPeriodS: 15,
  /** HPA's default scale-down stabilization window, in s (KEDA's cooldownPeriod, 300 s, only governs 1 → 0). */
  scaleDownStabilizationS: 300,
  /** HPA's tolerance: no change while metric / target is within 10 % of the current replicas. */
  tolerance: 0.1,
  /** HPA's default scale-up policies, per 15 s: +100 % or +4 pods, whichever is more. */
  scaleUpPercent: 100,
  scaleUpPods: 4,
} as const;

/** Spacing of the read phases the HPA replay tries, in s. */
export const PHASE_STEP_S = 0.5;
/** Rows of the timeline tables, in s. */
export const TIMELINE_STEP_S = 2;

/** What one runtime's burst gave; times in s after the burst's first request unless named otherwise. */
export interface RuntimeRun {
  /** From the scaler's start to its first ready instance: the pool's cold start at its minimum. */
  coldStartS: number;
  /** When the burst's first request was sent, ms since the epoch. */
  burstAt: number;
  /** When its last batch was accepted. */
  submitS: number;
  /** The first decision for more than one instance (its tick's own time). */
  decidedS?: number;
  /** The first instance that was not there before the burst: seen in Keeper (any state), then ready. */
  firstNewSeenS?: number;
  firstNewReadyS?: number;
  mostReady: number;
  /** When the queue had completed or failed every job of the burst. */
  drainS: number;
  /** When the pool had its minimum of instances again, after draining. */
  backToMinS: number;
  completed: number;
  failed: number;
  /** Jobs finished per s before the first new instance was ready: one instance's pace. */
  oneInstancePerS: number;
  /** Jobs finished per s once the most instances were ready, to the drain; undefined if it never scaled out before draining. */
  scaledOutPerS?: number;
  /** Cores other processes kept busy from the burst to the drain. */
  otherCpuCores: number;
  /** The scaler's decisions from QUIET_BEFORE_BURST_MS before the burst to TAIL_AFTER_MIN_MS after back at min. */
  trace: DecisionSample[];
  /** Ready instances Keeper reported, at each look. */
  readyLooks: { at: number; ready: number }[];
}

/** The runtimes the scaler bench drives; swarm-cluster is the local three-node swarm (docker/cluster.sh). */
export type BenchRuntimeName = 'process' | 'docker' | 'swarm' | 'swarm-cluster';

/** One runtime's outcome: measured, skipped (cannot run here) or failed (with why). */
export interface RuntimeOutcome {
  runtime: BenchRuntimeName;
  run?: RuntimeRun;
  skipped?: string;
  failed?: string;
}
