import { PoolSettings } from '@fopflow/keeper';

/** What the scaler sees of a pool at one tick. */
export interface PoolObservation {
  /** Jobs not yet taken: waiting + prioritized + delayed, over the pool's queues and tiers. */
  pending: number;
  /** New jobs per second, smoothed. */
  arrivalPerS: number;
  /** Mean processing time of a job, in seconds. */
  meanServiceS: number;
  /** Jobs one instance runs at once. */
  concurrencyPerInstance: number;
}

/**
 * Instances the pool needs now, before stabilization: enough for the backlog at the target
 * pending per instance, plus enough to keep up with arrivals (arrival rate × service time ÷
 * concurrency), so a growing burst is met before its backlog piles up. HPA's AverageValue rule is
 * the first term alone.
 */
export function neededInstances(observation: PoolObservation, pool: PoolSettings): number {
  const forBacklog = Math.ceil(observation.pending / pool.targetPendingPerInstance);
  const forArrivals = Math.ceil((observation.arrivalPerS * observation.meanServiceS) / Math.max(1, observation.concurrencyPerInstance));
  return clamp(forBacklog + forArrivals, pool.minInstances, pool.maxInstances);
}

/** A pool's recent recommendations, for the scale-down window. */
export type Recommendations = Array<{ at: number; instances: number }>;

/**
 * The decision: up at once (at most maxScaleUpStep more than now), down only to the highest
 * recommendation of the stabilization window, as HPA does, so a dip does not shed capacity that
 * the next second needs again.
 */
export function decide(needed: number, current: number, history: Recommendations, pool: PoolSettings, now: number): number {
  const windowStart = now - pool.scaleDownStabilizationS * 1000;
  while (history.length && history[0].at < windowStart) history.shift();
  history.push({ at: now, instances: needed });
  if (needed > current) return Math.min(needed, current + pool.maxScaleUpStep);
  const highestInWindow = Math.max(...history.map((entry) => entry.instances));
  return Math.min(current, Math.max(needed, highestInWindow));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
