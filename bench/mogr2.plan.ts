import type { LoadPlan } from './support/load';

/**
 * `imageMogr2/thumbnail/320x320`: fit inside the box, keeping the ratio (4000×3000 → 320×240).
 * Quality is Fopflow's rule for imageMogr2 (image.encoder.ts `effectiveQuality`): the requested
 * one, default 75, never above the JPEG source's own, estimated from its quantization tables
 * (85 here): 75.
 */
export const MOGR2 = { width: 320, height: 320, quality: 75 } as const;

/** Requests (or sharp calls) in flight at once, one table row each per path. */
export const MOGR2_LEVELS = [1, 4] as const;

/** 6 cells × 11 s, plus making the source and starting the platform: under two minutes. */
export const MOGR2_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 1_000, durationMs: 10_000, maxOps: 50_000 };
