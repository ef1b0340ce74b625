import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolSettings } from '../libs/keeper/src/pool-settings';
import { HPA_MODEL, PHASE_STEP_S, POOL_SETTINGS, RuntimeRun } from './scaler.plan';
import type { DecisionSample } from './scaler.watch';

/** apps/scaler's policy, as the built module exports it. */
export type ScalingPolicy = typeof import('../apps/scaler/src/scaling.policy');

/** A policy's desired instances from `at` on, ms since the epoch. */
export interface DesiredStep {
  at: number;
  desired: number;
}

/** The scaling policy of the build the platform ran: the bench's copy of dist/, not the source. */
export function loadScalingPolicy(builtDir: string): ScalingPolicy {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(builtDir, 'apps', 'scaler', 'src', 'scaling.policy.js')) as ScalingPolicy;
}

/**
 * Jobs one instance of `commands` runs at once, as the scaler counts it: the most of its commands'
 * concurrencies in config/concurrency.json (the scaler's own reading of the same file).
 */
export function concurrencyPerInstance(repoRoot: string, commands: readonly string[]): number {
  try {
    const file = JSON.parse(readFileSync(join(repoRoot, 'config', 'concurrency.json'), 'utf8')) as { commands?: Record<string, number> };
    return Math.max(...commands.map((command) => file.commands?.[command] ?? 1));
  } catch {
    return 1;
  }
}

/**
 * Fopflow's decisions replayed on the recorded trace: each recorded tick's observation (pending,
 * arrival rate, service time) through neededInstances and decide, with the instances it decided
 * the tick before as current, as if instances came and went the moment they were decided.
 */
export function replayFopflow(policy: ScalingPolicy, trace: readonly DecisionSample[], pool: PoolSettings, perInstance: number): DesiredStep[] {
  const history: Parameters<ScalingPolicy['decide']>[2] = [];
  let current = trace[0]?.desired ?? pool.minInstances;
  return trace.map((tick) => {
    const needed = policy.neededInstances({ ...tick, concurrencyPerInstance: perInstance }, pool);
    current = policy.decide(needed, current, history, pool, tick.at);
    return { at: tick.at, desired: current };
  });
}

/** The backlog at one moment: all HPA reads. */
export interface BacklogSample {
  at: number;
  pending: number;
}

/**
 * HPA on an AverageValue target (`ceil(pending / target)`, KEDA's external metric): the backlog is
 * read every `readPeriodS`, the first read `phaseS` after `from`, and each read is a decision at
 * HPA's defaults (tolerance, up at most max(+100 %, +4) per read, down only to the highest
 * recommendation of the last 300 s), starting from minInstances. Reads run until `until`; the
 * backlog's last sample holds after its end.
 */
export function replayHpa(backlog: readonly BacklogSample[], pool: PoolSettings, readPeriodS: number, phaseS: number, from: number, until: number): DesiredStep[] {
  const recommendations: { at: number; instances: number }[] = [];
  let replicas = pool.minInstances;
  const steps: DesiredStep[] = [{ at: Math.min(from, backlog[0]?.at ?? from), desired: replicas }];
  for (let at = from + phaseS * 1000; at <= until; at += readPeriodS * 1000) {
    const pending = pendingAt(backlog, at);
    const usage = pending / (pool.targetPendingPerInstance * replicas);
    const wanted = Math.abs(usage - 1) <= HPA_MODEL.tolerance ? replicas : Math.ceil(pending / pool.targetPendingPerInstance);
    const recommendation = Math.min(pool.maxInstances, Math.max(pool.minInstances, wanted));
    recommendations.push({ at, instances: recommendation });
    const windowStart = at - HPA_MODEL.scaleDownStabilizationS * 1000;
    const upLimit = Math.max(Math.ceil(replicas * (1 + HPA_MODEL.scaleUpPercent / 100)), replicas + HPA_MODEL.scaleUpPods);
    const highest = Math.max(...recommendations.filter((r) => r.at >= windowStart).map((r) => r.instances));
    replicas = recommendation > replicas ? Math.min(recommendation, upLimit) : Math.min(replicas, highest);
    steps.push({ at, desired: replicas });
  }
  return steps;
}

/** Which backlog HPA's reads see: the one recorded (shaped by Fopflow's scaling), or one instance's alone. */
export type BacklogKind = 'recorded' | 'one instance';

/** HPA with one read period on one backlog, over every phase of its reads relative to the burst. */
export interface HpaReplay {
  backlog: BacklogKind;
  readPeriodS: number;
  phases: number;
  /** s after the burst at which desired first passed min, per phase, ascending; Infinity where it never did. */
  firstUpS: number[];
  /** At the median phase (never-scaling phases ranked last), long enough for the 300 s window to end. */
  steps: DesiredStep[];
}

/**
 * Tries every read phase from 0 to readPeriodS in PHASE_STEP_S steps, reads from `burstAt` to the
 * backlog's end, and keeps the steps of the median phase, run on to `horizon`.
 */
export function sweepHpaPhases(backlog: readonly BacklogSample[], kind: BacklogKind, readPeriodS: number, burstAt: number, horizon: number): HpaReplay {
  const backlogEnd = backlog[backlog.length - 1]?.at ?? burstAt;
  const phases = Math.round(readPeriodS / PHASE_STEP_S);
  const runs = Array.from({ length: phases }, (_, n) => {
    const phaseS = n * PHASE_STEP_S;
    const up = replayHpa(backlog, POOL_SETTINGS, readPeriodS, phaseS, burstAt, backlogEnd).find((step) => step.desired > POOL_SETTINGS.minInstances);
    return { phaseS, firstUpS: up ? (up.at - burstAt) / 1000 : Number.POSITIVE_INFINITY };
  }).sort((a, b) => a.firstUpS - b.firstUpS);
  const median = runs[Math.floor((runs.length - 1) / 2)];
  return {
    backlog: kind,
    readPeriodS,
    phases,
    firstUpS: runs.map((run) => run.firstUpS),
    steps: replayHpa(backlog, POOL_SETTINGS, readPeriodS, median.phaseS, burstAt, horizon),
  };
}

/**
 * The backlog one instance alone would have left: the burst's jobs arriving evenly while it was
 * submitted, taken at the pace the one instance kept before help came. Until HPA first scales out
 * the pool is at one instance, so this, not the recorded backlog, is what its first reads would see.
 * Without a pace (nothing finished), the recorded trace stands in.
 */
export function oneInstanceBacklog(run: RuntimeRun, jobs: number): BacklogSample[] {
  const samples: BacklogSample[] = [];
  const stepMs = PHASE_STEP_S * 1000;
  if (!(run.oneInstancePerS > 0)) return [...run.trace];
  for (let offset = 0; ; offset += stepMs) {
    const arrived = jobs * Math.min(1, offset / 1000 / Math.max(run.submitS, 1e-3));
    const pending = Math.max(0, Math.round(arrived - run.oneInstancePerS * (offset / 1000)));
    samples.push({ at: run.burstAt + offset, pending });
    if (pending === 0 && arrived >= jobs) return samples;
  }
}

/** Every policy's desired instances on one runtime's trace. */
export interface DecisionComparison {
  fopflowReplay: DesiredStep[];
  /** HPA with reads every KEDA pollingInterval (30 s) and every HPA sync period (15 s), on each backlog. */
  hpa: HpaReplay[];
}

/** Replays Fopflow's policy on `run`'s trace, and HPA's on it and on one instance's backlog. */
export function compareDecisions(policy: ScalingPolicy, run: RuntimeRun, perInstance: number, jobs: number): DecisionComparison {
  const backlogs: [BacklogKind, readonly BacklogSample[]][] = [
    ['recorded', run.trace],
    ['one instance', oneInstanceBacklog(run, jobs)],
  ];
  const hpa = backlogs.flatMap(([kind, backlog]) =>
    [HPA_MODEL.kedaPollingIntervalS, HPA_MODEL.hpaSyncPeriodS].map((readPeriodS) => {
      const end = backlog[backlog.length - 1]?.at ?? run.burstAt;
      return sweepHpaPhases(backlog, kind, readPeriodS, run.burstAt, end + (HPA_MODEL.scaleDownStabilizationS + 2 * readPeriodS) * 1000);
    }),
  );
  return { fopflowReplay: replayFopflow(policy, run.trace, POOL_SETTINGS, perInstance), hpa };
}

/** The scaler's recorded decisions as steps. */
export function recordedSteps(run: RuntimeRun): DesiredStep[] {
  return run.trace.map((tick) => ({ at: tick.at, desired: tick.desired }));
}

/** s after `from` at which `steps` first pass 1 instance, and then first come back to min; undefined where they do not. */
export function upAndBack(steps: readonly DesiredStep[], from: number, min: number): { upS?: number; backS?: number; most: number } {
  const up = steps.find((step) => step.at >= from && step.desired > min);
  const back = up && steps.find((step) => step.at > up.at && step.desired <= min);
  return {
    upS: up && (up.at - from) / 1000,
    backS: back && (back.at - from) / 1000,
    most: Math.max(...steps.filter((step) => step.at >= from).map((step) => step.desired)),
  };
}

/** The desired instances of `steps` at `at`: the last step at or before it. */
export function desiredAt(steps: readonly DesiredStep[], at: number): number | undefined {
  return lastAtOrBefore(steps, at)?.desired;
}

/** The backlog last sampled at or before `at` (0 before its first sample). */
export function pendingAt(backlog: readonly BacklogSample[], at: number): number {
  return lastAtOrBefore(backlog, at)?.pending ?? 0;
}

/** The last of `items` (ascending by `at`) at or before `at`. */
function lastAtOrBefore<T extends { at: number }>(items: readonly T[], at: number): T | undefined {
  let found: T | undefined;
  for (const item of items) {
    if (item.at > at) break;
    found = item;
  }
  return found;
}
