import type { LoadPlan } from './load';

/** `plan`'s time box in words: warm-up, measured time and op budget. */
export function timeBoxText(plan: Omit<LoadPlan, 'concurrency'>): string {
  return `${plan.warmupMs / 1000} s of untimed warm-up, then ${plan.durationMs / 1000} s measured (or ${plan.maxOps} operations, whichever comes first)`;
}

/**
 * The paragraph that opens every section's method: how a cell drives load and what Other CPU is.
 * `timing` is the cell's time box (timeBoxText), `figures` what the rate and latency columns are.
 */
export function closedLoopMethod(timing: string, figures: string): string[] {
  return [
    '**Every cell** is a closed loop: each of the N slots starts its next operation as soon as its last one',
    `ends. ${timing}; operations still in flight at the deadline are waited for and counted. ${figures}`,
    'The load comes from the bench process itself (node:http, one keep-alive socket per slot), on the same',
    'cores as everything it measures. *Other CPU* is the cores kept busy, on average over the cell, by processes',
    'the bench did not start (/proc/stat less the bench and its children; hypervisor steal counts as other,',
    "interrupt time as nobody's): the machine may be shared, and a cell with a figure well above 0 was disturbed.",
  ];
}
