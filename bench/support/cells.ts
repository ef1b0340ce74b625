import type { Agent } from 'node:http';
import type { ProgressLog } from '../benchmark';
import { keepAliveAgent } from './http-get';
import { JobTotals, meanJobMs } from './job-metrics';
import { LoadPlan, LoadResult, Operation, timedRun, warmUp } from './load';

/** One measured cell of a benchmark's table: one path at one count of operations in flight. */
export interface MeasuredCell<P extends string = string> {
  path: P;
  /** Operations in flight at once. */
  concurrency: number;
  result: LoadResult;
  /** Mean time the worker spent on each job of the measured run, in ms; only where jobs run. */
  meanJobMs?: number;
}

/** One path measured at several levels of load. */
export interface LevelsSpec<P extends string> {
  path: P;
  /** Operations in flight, one cell each, in this order. */
  levels: readonly number[];
  plan: Omit<LoadPlan, 'concurrency'>;
  /**
   * Untimed operations before each timed run, instead of plan.warmupMs: for operations that use up
   * a finite supply (a pool of objects), where a time-boxed warm-up could take an unknown share.
   */
  warmupOps?: number;
  /** The operation of one slot; it gets an agent with one keep-alive socket per slot (in-process paths ignore it). */
  operationFor(agent: Agent): Operation;
  /** Where jobs run: reads the worker's job-time totals, for the cell's mean job time. */
  jobTotals?(): Promise<JobTotals>;
  log: ProgressLog;
}

/** Measures `spec.path` at every level: warm-up (warmupOps or plan.warmupMs), then the timed run. */
export async function measureLevels<P extends string>(spec: LevelsSpec<P>): Promise<MeasuredCell<P>[]> {
  const cells: MeasuredCell<P>[] = [];
  for (const concurrency of spec.levels) {
    const agent = keepAliveAgent(concurrency);
    try {
      const operation = spec.operationFor(agent);
      const plan = { ...spec.plan, concurrency };
      if (spec.warmupOps !== undefined) await warmUpOps(operation, concurrency, spec.warmupOps);
      else await warmUp(operation, plan);
      // Read right around the timed run, so warm-up jobs stay out of the mean job time.
      const before = await spec.jobTotals?.();
      const result = await timedRun(operation, plan);
      const after = await spec.jobTotals?.();
      const cell = { path: spec.path, concurrency, result, meanJobMs: before && after ? meanJobMs(before, after) : undefined };
      spec.log(`${spec.path} ×${concurrency}: ${result.completed} ok, ${result.failed} failed, ${result.opsPerSecond.toFixed(2)}/s`);
      cells.push(cell);
    } finally {
      agent.destroy();
    }
  }
  return cells;
}

/**
 * Several paths at every level, alternating level by level (each path at 1, then each at 2...), so
 * that a change in what else the machine runs falls on all of them alike. Cells come path by path.
 */
export async function measureAlternating<P extends string>(
  levels: readonly number[],
  paths: readonly Omit<LevelsSpec<P>, 'levels'>[],
): Promise<MeasuredCell<P>[]> {
  const byPath = paths.map((): MeasuredCell<P>[] => []);
  for (const level of levels) {
    for (const [index, spec] of paths.entries()) byPath[index].push(...(await measureLevels({ ...spec, levels: [level] })));
  }
  return byPath.flat();
}

/** Runs `operation` `ops` times, untimed, over `slots` slots; fails if any of them did. */
export async function warmUpOps(operation: Operation, slots: number, ops: number): Promise<LoadResult> {
  const result = await timedRun(operation, { concurrency: slots, warmupMs: 0, durationMs: Number.POSITIVE_INFINITY, maxOps: ops });
  if (result.failed > 0) throw new Error(`warm-up failed: ${result.firstError ?? 'unknown error'}`);
  return result;
}
