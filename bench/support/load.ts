import { cpuSnapshot, otherCpuCores } from './cpu';

/** One unit of work the load loop times: an HTTP request or an in-process sharp call. */
export type Operation = () => Promise<void>;

/** How one cell of a benchmark is driven. */
export interface LoadPlan {
  /** Operations in flight at once (a closed loop: each slot starts its next op when one ends). */
  concurrency: number;
  /** Untimed run before measuring, in ms, so JIT, thread pools, sockets and caches settle. */
  warmupMs: number;
  /** Time box of the measured run, in ms; no op starts after it, ops in flight are waited for. */
  durationMs: number;
  /** Op budget of the measured run; whichever of it and durationMs is reached first ends the run. */
  maxOps: number;
}

/** What one measured run achieved. */
export interface LoadResult {
  /** Ops that ended without an error. */
  completed: number;
  failed: number;
  /** From the first op's start to the last op's end, in ms. */
  elapsedMs: number;
  /** completed / elapsed seconds. */
  opsPerSecond: number;
  /** Mean latency of the completed ops, in ms: comparable with a mean job time. */
  meanMs: number;
  /** Latency percentiles of the completed ops, in ms (nearest rank). */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Cores busy with processes the bench did not start, on average over the run (see cpu.ts). */
  otherCpuCores: number;
  /** Message of the first failure, to say why `failed` is not zero. */
  firstError?: string;
}

/** The untimed part of `plan`: runs `operation` for warmupMs and drops the figures. */
export async function warmUp(operation: Operation, plan: LoadPlan): Promise<void> {
  if (plan.warmupMs > 0) await closedLoop(operation, plan.concurrency, plan.warmupMs, Number.POSITIVE_INFINITY);
}

/** The timed part of `plan`; apart from warmUp so that callers can read other counters right around it. */
export function timedRun(operation: Operation, plan: LoadPlan): Promise<LoadResult> {
  return closedLoop(operation, plan.concurrency, plan.durationMs, plan.maxOps);
}

async function closedLoop(operation: Operation, concurrency: number, durationMs: number, maxOps: number): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let started = 0;
  let failed = 0;
  let firstError: string | undefined;
  const cpuBefore = cpuSnapshot();
  const begin = performance.now();
  const deadline = begin + durationMs;

  const slot = async (): Promise<void> => {
    while (started < maxOps && performance.now() < deadline) {
      started++;
      const opStart = performance.now();
      try {
        await operation();
        latenciesMs.push(performance.now() - opStart);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, slot));

  const elapsedMs = performance.now() - begin;
  const otherCores = otherCpuCores(cpuBefore, cpuSnapshot());
  latenciesMs.sort((a, b) => a - b);
  return {
    completed: latenciesMs.length,
    failed,
    elapsedMs,
    opsPerSecond: latenciesMs.length / (elapsedMs / 1000),
    meanMs: latenciesMs.reduce((sum, ms) => sum + ms, 0) / latenciesMs.length,
    p50Ms: percentile(latenciesMs, 0.5),
    p95Ms: percentile(latenciesMs, 0.95),
    p99Ms: percentile(latenciesMs, 0.99),
    otherCpuCores: otherCores,
    firstError,
  };
}

/** Nearest-rank percentile of ascending `sorted`; NaN when there is nothing to rank. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
}
