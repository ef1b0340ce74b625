import { BURST_JOBS, HPA_MODEL, PHASE_STEP_S, POOL_SETTINGS, RuntimeRun, SCALER_TICK_MS } from './scaler.plan';
import { DecisionComparison, HpaReplay, recordedSteps, upAndBack } from './scaler.replay';
import { figure } from './support/markdown';
import { DISTURBED_OTHER_CORES } from './support/notes';

/** A runtime that ran, with its replays. */
export interface MeasuredRuntime {
  runtime: string;
  run: RuntimeRun;
  comparison: DecisionComparison;
}

/** One figure per runtime, `a / b / c s` in the order the reading names them, or one figure when they agree. */
function perRuntime(measured: readonly MeasuredRuntime[], value: (m: MeasuredRuntime) => number | undefined, decimals = 1, unit = ' s'): string {
  const figures = measured.map((m) => figure(value(m) ?? Number.NaN, decimals));
  return `${new Set(figures).size === 1 ? figures[0] : figures.join(' / ')}${unit}`;
}

/** Read off the figures; the reasons given are those of the code paths. */
export function scalerReading(measured: readonly MeasuredRuntime[]): string {
  if (measured.length === 0) return 'No runtime could be measured.';
  const min = POOL_SETTINGS.minInstances;
  const hpa = (m: MeasuredRuntime, backlog: string, period: number) => m.comparison.hpa.find((r) => r.backlog === backlog && r.readPeriodS === period)!;
  const median = (r: HpaReplay) => r.firstUpS[Math.floor((r.firstUpS.length - 1) / 2)];
  const scaled = (r: HpaReplay) => r.firstUpS.filter(Number.isFinite);
  const slow = HPA_MODEL.kedaPollingIntervalS;
  const fast = HPA_MODEL.hpaSyncPeriodS;
  const fig = (f: (m: MeasuredRuntime) => number | undefined, decimals = 1, unit = ' s') => perRuntime(measured, f, decimals, unit);
  const matching = measured.map((m) => {
    const live = recordedSteps(m.run);
    return live.filter((step, index) => m.comparison.fopflowReplay[index]?.desired === step.desired).length / live.length;
  });
  const paragraphs = [
    [
      measured.length > 1 ? `Figures run ${measured.map((m) => m.runtime).join(' / ')}, one figure where they agree.` : '',
      `Fopflow decided on more instances ${fig((m) => m.run.decidedS)} after the burst began, at its first tick that saw the`,
      `backlog (ticks are ${SCALER_TICK_MS} ms apart; the submission itself took ${fig((m) => m.run.submitS, 2)}); replayed offline on the same inputs,`,
      `its policy gave the same desired size at ${perRuntime(measured, (m) => matching[measured.indexOf(m)] * 100, 0, ' %')} of the ticks. The first new instance was ready at`,
      `${fig((m) => m.run.firstNewReadyS)}, ${fig((m) => (m.run.firstNewReadyS ?? Number.NaN) - (m.run.decidedS ?? Number.NaN))} after the decision: start the process or container, boot Node`,
      'and Nest, warm up one job per command. Keeper first hears of an instance at its first heartbeat, after the boot,',
      'which is why *New seen* is close to *New ready*.',
    ],
    [
      `One instance finished ${fig((m) => m.run.oneInstancePerS, 0, ' jobs/s')}, so alone it would have needed about ${fig((m) => BURST_JOBS / m.run.oneInstancePerS, 0)}`,
      `for the burst; with ${fig((m) => m.run.mostReady, 0, '')} ready the pool finished ${fig((m) => m.run.scaledOutPerS, 0, ' jobs/s')} and was done at ${fig((m) => m.run.drainS)}.`,
      'One instance runs 2 imageView2 jobs at once (config/concurrency.json), which on these 2 cores leaves part of them',
      `idle; more instances fill them, up to what 2 cores give. The pool was back at ${min} instance ${fig((m) => m.run.backToMinS - m.run.drainS)}`,
      `after draining: the ${POOL_SETTINGS.scaleDownStabilizationS} s window counts from the last tick that still needed more, then the idle instances are retired,`,
      'drain and exit.',
    ],
    [
      `HPA + KEDA reading the recorded backlog scales out in ${fig((m) => scaled(hpa(m, 'recorded', slow)).length, 0, '')} of ${slow / PHASE_STEP_S} read phases with ${slow} s`,
      `reads and ${fig((m) => scaled(hpa(m, 'recorded', fast)).length, 0, '')} of ${fast / PHASE_STEP_S} with ${fast} s reads; in the others the backlog Fopflow's instances`,
      'drained was gone before a read saw it. That is not HPA\'s real chance: until it first scales out, its pool has one',
      `instance, whose backlog lasts longer. Reading one instance's backlog, its median first scale-out comes at ${fig((m) => median(hpa(m, 'one instance', slow)))} with ${slow} s reads`,
      `(latest ${fig((m) => scaled(hpa(m, 'one instance', slow)).pop())}; never in ${fig((m) => hpa(m, 'one instance', slow).firstUpS.length - scaled(hpa(m, 'one instance', slow)).length, 0, '')} of ${slow / PHASE_STEP_S} phases, the one instance finishing first)`,
      `and at ${fig((m) => median(hpa(m, 'one instance', fast)))} with ${fast} s reads (latest ${fig((m) => scaled(hpa(m, 'one instance', fast)).pop())}), against Fopflow's ${fig((m) => m.run.decidedS)};`,
      'each is a decision at the read itself, and a cached KEDA metric also waits for the next HPA sync. Then its',
      "instances need the same start-up as Fopflow's, as they run the same worker. Once out, HPA holds them for its",
      `${HPA_MODEL.scaleDownStabilizationS} s window: back at ${min} at ${fig((m) => upAndBack(hpa(m, 'recorded', fast).steps, m.run.burstAt, min).backS, 0)} (${fast} s reads, recorded backlog), where Fopflow decided`,
      `on ${min} again at ${fig((m) => upAndBack(recordedSteps(m.run), m.run.burstAt, min).backS)} (its extra instances gone by ${fig((m) => m.run.backToMinS)}).`,
    ],
  ];
  const disturbed = measured.filter((m) => m.run.otherCpuCores > DISTURBED_OTHER_CORES);
  if (disturbed.length) {
    const docker = disturbed.some((m) => m.runtime !== 'process') ? " (Docker's own daemons included)" : '';
    paragraphs.push([
      `Other processes kept ${disturbed.map((m) => `${figure(m.run.otherCpuCores, 2)} cores (${m.runtime})`).join(', ')} busy from the burst to the drain${docker}:`,
      'drain times there are likely longer than this machine gives when quiet; decision times are not.',
    ]);
  }
  return paragraphs.map((lines) => lines.filter(Boolean).join(' ')).join('\n\n');
}
