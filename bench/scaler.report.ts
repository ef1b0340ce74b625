import {
  BURST_BATCH,
  BURST_JOBS,
  burstFop,
  DECISION_POLL_MS,
  HPA_MODEL,
  INSTANCE_POLL_MS,
  PHASE_STEP_S,
  PHOTO,
  POOL,
  POOL_SETTINGS,
  QUIET_BEFORE_BURST_MS,
  RuntimeOutcome,
  SCALER_TICK_MS,
  TIMELINE_STEP_S,
} from './scaler.plan';
import { DecisionComparison, DesiredStep, desiredAt, HpaReplay, pendingAt, recordedSteps, upAndBack } from './scaler.replay';
import { MeasuredRuntime, scalerReading } from './scaler.reading';
import { machineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';

/** Everything the scaler section reports. */
export interface ScalerReport {
  outcomes: RuntimeOutcome[];
  /** Per outcome, in the same order: the replays on its trace, where it was measured. */
  comparisons: (DecisionComparison | undefined)[];
  photoBytes: number;
  /** How long building fopflow/worker:latest took, when a container runtime ran. */
  imageBuildS?: number;
  /** Docker engine version, when there is one. */
  engine?: string;
  /** Jobs one instance runs at once, as the scaler counts it. */
  perInstance: number;
}

export const RESULT_COLUMNS: readonly Column[] = [
  ...wordColumns('Runtime'),
  ...figureColumns(
    'Cold start s',
    'Submit s',
    'Decided >1 s',
    'New seen s',
    'New ready s',
    'Most ready',
    'Drained s',
    'Back to 1 s',
    'Completed',
    'Failed',
    '1 instance jobs/s',
    'Scaled out jobs/s',
    'Other CPU',
  ),
];

const POLICY_COLUMNS: readonly Column[] = [
  ...wordColumns('Runtime', 'Policy', 'Backlog it reads'),
  ...figureColumns('First >1 s: earliest / median / latest phase', 'Phases never >1', 'Most', 'Back to 1 s'),
];

const TIMELINE_COLUMNS: readonly Column[] = figureColumns(
  't s',
  'Pending',
  'Ready (Keeper)',
  'Fopflow desired (live)',
  'Fopflow (replay)',
  `HPA, ${HPA_MODEL.kedaPollingIntervalS} s reads`,
  `HPA, ${HPA_MODEL.hpaSyncPeriodS} s reads`,
);

/** The scaler section of BENCHMARKS.md. */
export function scalerSection(report: ScalerReport): string {
  const measured = report.outcomes.flatMap((outcome, index): MeasuredRuntime[] =>
    outcome.run ? [{ runtime: outcome.runtime, run: outcome.run, comparison: report.comparisons[index]! }] : [],
  );
  return [
    '## Scaler: reaction to a burst, and HPA + KEDA on the same backlog',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- scaler\`) on: ${machineSummary(machineFacts())}${report.engine ? `; Docker Engine ${report.engine}` : ''}.`,
    '',
    '### How it is measured',
    '',
    ...method(report),
    '',
    '### Results',
    '',
    markdownTable(RESULT_COLUMNS, measured.map(resultRow)),
    ...report.outcomes.filter((outcome) => !outcome.run).flatMap((outcome) => ['', `**${outcome.runtime}**: not measured, ${notMeasured(outcome)}`]),
    '',
    '### Decisions on the same backlog: Fopflow and HPA + KEDA',
    '',
    ...replayMethod(),
    '',
    markdownTable(POLICY_COLUMNS, measured.flatMap(policyRows)),
    '',
    ...measured.flatMap((m) => [`**Timeline, ${m.runtime}** (t = 0: the burst's first request; HPA on the recorded backlog, median phase)`, '', markdownTable(TIMELINE_COLUMNS, timelineRows(m)), '']),
    '### Reading',
    '',
    scalerReading(measured),
  ].join('\n');
}

function notMeasured(outcome: RuntimeOutcome): string {
  if (outcome.skipped) return `${outcome.skipped}.`;
  // The first line says what failed; the scaler's output under it is for the console, not the report.
  return `the run failed: ${(outcome.failed ?? 'unknown').split('\n')[0]}`;
}

function method(report: ScalerReport): string[] {
  const pool = POOL_SETTINGS;
  return [
    'For each runtime a fresh platform: the built gateway and a private redis-server, with **no worker**, and the',
    `built scaler (\`FOPFLOW_SCALER_TICK_MS=${SCALER_TICK_MS}\`) on that runtime, with one tier and no per-key rate limit. Its pools file has one`,
    `image pool (named \`${POOL}\`, so that its containers and swarm service can never be taken for those of a concurrent`,
    `e2e run on the same engine): ${pool.commands.join(', ')}; min ${pool.minInstances}, max ${pool.maxInstances}, ${pool.targetPendingPerInstance} pending jobs per instance,`,
    `scale-down window ${pool.scaleDownStabilizationS} s, at most ${pool.maxScaleUpStep} more per decision, grace ${(pool.graceMs / 1000).toFixed(0)} s; in containers ${pool.cpus} CPU and ${pool.memoryMiB} MiB each. An av pool at`,
    `min 0 starts nothing. The scaler counts ${report.perInstance} jobs at once per instance (the most of the pool's commands in config/concurrency.json;`,
    'a worker runs imageView2 ×2).',
    '- **process**: each instance is a child process of the scaler running the built worker.',
    `- **docker**: each instance is a container of \`fopflow/worker:latest\`${report.imageBuildS === undefined ? '' : ` (built by \`docker/build-images.sh\` from this dist/ at the start of the run, ${figure(report.imageBuildS, 0)} s)`}, host network (Redis is on the host's loopback), the data dir bind-mounted at /data.`,
    '- **swarm**: each instance is a task of one replicated service on this single-node swarm, scaled by one per instance; same image, network and mount.',
    '',
    `The bench waits for the pool's first ready instance (*Cold start*: from the scaler's start), lets it idle ${QUIET_BEFORE_BURST_MS / 1000} s,`,
    `then sends the burst: ${BURST_JOBS} jobs \`${burstFop(0)}\` … \`${burstFop(BURST_JOBS - 1)}\` (each a new result, so each a real job) of one`,
    `${PHOTO.width}×${PHOTO.height} JPEG (${figure(report.photoBytes / 1024, 0)} KiB, the gradient-under-grain photo of the other sections), as signed`,
    `\`POST /v1/jobs/batch\` requests of ${BURST_BATCH}, one at a time. **t = 0 is when the first request is sent**; *Submit* is when the last`,
    'was accepted. From outside, as an operator would see it:',
    `- \`GET /v1/instances\` (admin token) and the queue's counts every ${INSTANCE_POLL_MS} ms. *New seen*: an instance id that was not there`,
    '  before the burst first shows in Keeper, in any state (an instance first heartbeats once its Node process has booted);',
    "  *New ready*: one first shows `ready` (it has warmed up and takes jobs); *Drained*: the queue's completed + failed count",
    `  has grown by ${BURST_JOBS}; *Back to 1*: the pool has ${pool.minInstances} instance again, every state counted, after draining; *Most ready*: at one look.`,
    '  *1 instance jobs/s*: jobs finished before the first new instance was ready, over that time; *Scaled out jobs/s*: from',
    '  the first look with the most instances ready to the drain.',
    `- \`GET /v1/pools\` every ${DECISION_POLL_MS} ms: the scaler's last decision, kept once per tick (each carries its own time): the trace of`,
    "  pending jobs, arrival rate, service time, needed and desired instances. *Decided >1* is that trace's first desired above 1.",
    "- *Other CPU*, from t = 0 to drained: every instance's worker process counts as the bench's own (the scaler's",
    "  children by pid; a container's main process through `docker inspect`), but Docker's own daemons (dockerd, containerd,",
    "  the shims) count as other processes, so for docker and swarm the figure includes the engine's work of starting",
    '  containers. The watch itself costs the platform about 14 small requests a second.',
  ];
}

function replayMethod(): string[] {
  return [
    "Offline, after the runs, on each runtime's backlog:",
    "- **Fopflow (replay)**: `neededInstances` and `decide` of apps/scaler, loaded from the built copy the platform ran, fed",
    "  each recorded tick's pending, arrival rate and service time, with what it decided the tick before as the current",
    '  size (as if instances came the moment they were decided). *Fopflow (live)* is what the scaler really decided, its',
    '  current size being the instances it really had.',
    `- **HPA + KEDA**: \`desired = ceil(pending / ${POOL_SETTINGS.targetPendingPerInstance})\` (an AverageValue target on KEDA's external metric), clamped to`,
    `  min ${POOL_SETTINGS.minInstances} and max ${POOL_SETTINGS.maxInstances}, at HPA's defaults: no change within a tolerance of ${HPA_MODEL.tolerance * 100} %, up at once by at most`,
    `  max(+${HPA_MODEL.scaleUpPercent} %, +${HPA_MODEL.scaleUpPods}) per read, down only to the highest recommendation of the last ${HPA_MODEL.scaleDownStabilizationS} s. The backlog is read`,
    `  every ${HPA_MODEL.kedaPollingIntervalS} s (KEDA's pollingInterval, which is what HPA sees when KEDA caches its metrics) or every ${HPA_MODEL.hpaSyncPeriodS} s (HPA's`,
    "  sync period: by default KEDA's metrics server reads the trigger at each HPA request), a decision at each read. KEDA's",
    `  cooldownPeriod (${HPA_MODEL.scaleDownStabilizationS} s) only governs scaling to 0, which min ${POOL_SETTINGS.minInstances} rules out. Where the reads fall relative to the burst is`,
    `  chance, so every phase from 0 to the period in ${PHASE_STEP_S} s steps is replayed: the earliest, median and latest first`,
    '  scale-up over the phases (*never* when the backlog was gone before a read saw it), and for the rest the median phase.',
    "- HPA reads two backlogs. *recorded*: the same trace Fopflow decided on; but that backlog was drained by Fopflow's",
    '  extra instances, and until HPA first scales out the pool would be at one instance. *one instance*:',
    "  the backlog one instance leaves, the burst's jobs arriving evenly while it was submitted and taken at that run's",
    '  *1 instance jobs/s*; what HPA would see up to its first scale-out, and so the fair basis of its reaction time.',
    '',
    "Desired instances are decisions: each policy's new instances then need the runtime's start-up (*Decided* to *New ready*",
    'above) before they take jobs.',
  ];
}

export function resultRow({ runtime, run }: Pick<MeasuredRuntime, 'runtime' | 'run'>): string[] {
  return [
    runtime,
    figure(run.coldStartS, 1),
    figure(run.submitS, 2),
    figure(run.decidedS ?? Number.NaN, 1),
    figure(run.firstNewSeenS ?? Number.NaN, 1),
    figure(run.firstNewReadyS ?? Number.NaN, 1),
    String(run.mostReady),
    figure(run.drainS, 1),
    figure(run.backToMinS, 1),
    String(run.completed),
    String(run.failed),
    figure(run.oneInstancePerS, 0),
    figure(run.scaledOutPerS ?? Number.NaN, 0),
    figure(run.otherCpuCores, 2),
  ];
}

function policyRows({ runtime, run, comparison }: MeasuredRuntime): string[][] {
  const min = POOL_SETTINGS.minInstances;
  const fopflow = (policy: string, steps: DesiredStep[]) => {
    const { upS, most, backS } = upAndBack(steps, run.burstAt, min);
    return [runtime, policy, 'recorded', seconds(upS), '–', String(most), seconds(backS)];
  };
  return [
    fopflow('Fopflow (live)', recordedSteps(run)),
    fopflow('Fopflow (replay)', comparison.fopflowReplay),
    ...comparison.hpa.map((replay) => {
      const { most, backS } = upAndBack(replay.steps, run.burstAt, min);
      const never = replay.firstUpS.filter((s) => !Number.isFinite(s)).length;
      return [runtime, `HPA + KEDA, reads every ${replay.readPeriodS} s`, replay.backlog, spread(replay), `${never} of ${replay.phases}`, String(most), seconds(backS)];
    }),
  ];
}

/** Earliest / median / latest first scale-up over the phases. */
function spread(replay: HpaReplay): string {
  const { firstUpS } = replay;
  return [firstUpS[0], firstUpS[Math.floor((firstUpS.length - 1) / 2)], firstUpS[firstUpS.length - 1]].map(seconds).join(' / ');
}

function seconds(value: number | undefined): string {
  if (value === undefined) return '–';
  return Number.isFinite(value) ? figure(value, 1) : 'never';
}

function timelineRows({ run, comparison }: MeasuredRuntime): string[][] {
  const ready = run.readyLooks.map((look) => ({ at: look.at, desired: look.ready }));
  const recorded = comparison.hpa.filter((replay) => replay.backlog === 'recorded');
  const end = run.burstAt + (run.backToMinS + TIMELINE_STEP_S) * 1000;
  const cell = (value: number | undefined) => (value === undefined ? '–' : String(value));
  const rows: string[][] = [];
  for (let at = run.burstAt - QUIET_BEFORE_BURST_MS; at <= end; at += TIMELINE_STEP_S * 1000) {
    rows.push([
      figure((at - run.burstAt) / 1000, 0),
      String(pendingAt(run.trace, at)),
      cell(desiredAt(ready, at)),
      cell(desiredAt(recordedSteps(run), at)),
      cell(desiredAt(comparison.fopflowReplay, at)),
      ...recorded.map(({ steps }) => cell(desiredAt(steps, at))),
    ]);
  }
  return rows;
}
