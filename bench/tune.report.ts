import type { MeasuredCell } from './support/cells';
import { MachineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';
import { closedLoopMethod, timeBoxText } from './support/method';
import { PLATFORM_SETUP } from './support/platform';
import { cellCounts, disturbanceNote, errorNotes } from './support/notes';
import { DEFAULT_FROM, DERIVED_COMMANDS, KNEE_RULE, P95_GROWTH_LIMIT, SETTING_RULE, SweepPoint, THROUGHPUT_TOLERANCE } from './tune.knee';
import { IN_FLIGHT_PER_SLOT, TUNE_CLIP, TunedCommand } from './tune.plan';

/** Name of the section `npm run bench:tune` writes in BENCHMARKS.md. */
export const TUNE_SECTION = 'tune';

/** One command's sweep: per worker concurrency the faster of its two cells, and the knee picked from them. */
export interface CommandSweep {
  spec: TunedCommand;
  points: { concurrency: number; cell: MeasuredCell; otherPass?: MeasuredCell }[];
  knee: number;
}

/** The image representative's sweep at one count of libvips threads per image. */
export interface ThreadSweep {
  threads: number;
  sweep: CommandSweep;
}

/** A whole tuning run. */
export interface TuneRun {
  facts: MachineFacts;
  measuredAt: Date;
  sweeps: CommandSweep[];
  /** libvips threads per image chosen by SETTING_RULE; every image sweep after the first ran with it. */
  imageThreads: number;
  threadSweeps: ThreadSweep[];
  /** Wall time of the whole run, in s. */
  elapsedS: number;
}

/** A sweep's points as the knee rule and the JSON file see them. */
export function sweepPoints(points: CommandSweep['points']): SweepPoint[] {
  return points.map(({ concurrency, cell }) => ({
    concurrency,
    perSecond: round(cell.result.opsPerSecond, 2),
    p95Ms: round(cell.result.p95Ms, 1),
  }));
}

/** Jobs at once per command: swept ones their knee, derived ones their model's; and the default. */
export function chosenConcurrency(run: TuneRun): { commands: Record<string, number>; default: number } {
  const knees = Object.fromEntries(run.sweeps.map((sweep) => [sweep.spec.command, sweep.knee]));
  const derived = Object.entries(DERIVED_COMMANDS).flatMap(([command, model]) => (knees[model] === undefined ? [] : [[command, knees[model]]]));
  return { commands: { ...knees, ...Object.fromEntries(derived) }, default: knees[DEFAULT_FROM] ?? 1 };
}

/** config/concurrency.json: what apps/worker reads (`commands`, `default`) and how it was found. */
export function concurrencyFile(run: TuneRun): Record<string, unknown> {
  const { facts } = run;
  const chosen = chosenConcurrency(run);
  return {
    note:
      'Jobs each worker instance runs at once, per command (apps/worker reads `commands` and `default`; FOPFLOW_CONCURRENCY ' +
      'overrides them), and libvips threads per image (`imageThreads`; FOPFLOW_IMAGE_THREADS overrides it). Written by `npm run bench:tune` on the machine below: the knee of a sweep of each family ' +
      'representative. Not swept: ' +
      Object.entries(DERIVED_COMMANDS).map(([command, model]) => `${command} takes ${model}'s`).join(', ') +
      `; any other command the default (${DEFAULT_FROM}'s). See BENCHMARKS.md, "Concurrency tuning".`,
    machine: {
      cpu: facts.cpuModel,
      cores: facts.cores,
      memGiB: facts.ramGiB,
      node: facts.node,
      sharp: facts.sharp,
      libvips: facts.libvips,
      ffmpeg: facts.ffmpeg,
    },
    measuredAt: run.measuredAt.toISOString(),
    rule: KNEE_RULE,
    imageThreadsRule: SETTING_RULE,
    commands: chosen.commands,
    default: chosen.default,
    imageThreads: run.imageThreads,
    sweep: Object.fromEntries(run.sweeps.map((sweep) => [sweep.spec.command, sweepPoints(sweep.points)])),
    threadSweep: Object.fromEntries(run.threadSweeps.map(({ threads, sweep }) => [String(threads), sweepPoints(sweep.points)])),
  };
}

const SWEEP_COLUMNS: readonly Column[] = [
  ...wordColumns('Command'),
  ...figureColumns('Jobs at once', 'In flight', 'Requests', 'Errors', 'req/s', 'Other pass req/s', 'p50 ms', 'p95 ms', 'Job ms', 'Other CPU'),
  ...wordColumns('Knee'),
];

const CHOSEN_COLUMNS: readonly Column[] = [...wordColumns('Command'), ...figureColumns('Jobs at once'), ...wordColumns('From')];

/** The "Concurrency tuning" section of BENCHMARKS.md. */
export function tuneSection(run: TuneRun): string {
  const kept = run.sweeps.flatMap((sweep) => sweep.points.map((point) => point.cell));
  const all = run.sweeps.flatMap((sweep) => sweep.points.flatMap((point) => (point.otherPass ? [point.cell, point.otherPass] : [point.cell])));
  const [image, av] = [run.sweeps.find((s) => s.spec.family === 'image'), run.sweeps.find((s) => s.spec.family === 'av')];
  return [
    '## Concurrency tuning',
    '',
    `Measured ${run.measuredAt.toISOString().replace(/\.\d+Z$/, 'Z')} by \`npm run bench:tune\` (not part of \`npm run bench\`; ${figure(run.elapsedS / 60, 1)} min) on:`,
    `${machineSummary(run.facts)}. It writes \`config/concurrency.json\`, which every worker reads at start-up.`,
    '',
    '### How it is measured',
    '',
    'For each family representative below, and each worker concurrency n, a platform is started afresh: the built',
    `gateway, ONE worker pinned to that command (\`FOPFLOW_WORKER_COMMANDS=<command>\`, \`FOPFLOW_CONCURRENCY=<n>\`: it runs`,
    `exactly n of these jobs at once, as its log confirms) and a new private redis-server, with ${PLATFORM_SETUP}.`,
    `${IN_FLIGHT_PER_SLOT}×n requests are kept in flight, so the worker always has a job waiting, and every request is a distinct URL or another copy of the`,
    'source, so each is a real job; only a 200 with `X-Fop-Cache: MISS` counts. The sources are uploaded once into a',
    'data dir every platform of the run shares; the result cache index lives in Redis, so each cell starts with',
    `an empty cache. Images read the thumbnail benchmark's 12 MP JPEG; av commands a ${TUNE_CLIP.durationS} s ${TUNE_CLIP.height}p30 H.264 + AAC`,
    'clip the bench makes with ffmpeg (testsrc2 + sine).',
    '',
    'The machine is shared, and what else runs on it comes and goes: every command is swept twice, up its levels',
    'and then down again, and each n keeps the faster of its two cells (another process only ever slows a cell',
    'down; up-then-down spreads a slow drift over both ends). *Other pass req/s* is the cell it did not keep: the',
    "gap between the two is this run's noise.",
    '',
    ...closedLoopMethod(
      `Image cells: ${image ? timeBoxText(image.spec.plan) : '–'}; av cells: ${av ? timeBoxText(av.spec.plan) : '–'}; imageInfo and avinfo, which have no parameter to vary, instead read one copy each of a pool of copies, warm up on a fixed count of them and stop at the rest`,
      'req/s is completed requests over the elapsed time; p50 and p95 are nearest-rank latencies of the completed ones.',
    ),
    '',
    ...run.sweeps.map((sweep) => `- **${sweep.spec.command}**: ${sweep.spec.request}; n = ${sweep.spec.levels.join(', ')}.`),
    '',
    `**Rule**: ${KNEE_RULE}. More jobs at once than the knee add latency (each job shares the cores with more others)`,
    'for little or no more throughput; fewer leave throughput unused.',
    '',
    `**Image threads**: libvips threads per image are one setting per worker process, so ${run.threadSweeps[0]?.sweep.spec.command ?? 'the image representative'} is swept at`,
    `${run.threadSweeps.map(({ threads }) => threads).join(', ')} threads per image (\`FOPFLOW_IMAGE_THREADS\`), each over its jobs at once; ${SETTING_RULE}.`,
    `Chosen: ${run.imageThreads} threads per image; the other image commands are swept at that.`,
    '',
    '### Image threads × jobs',
    '',
    markdownTable(
      [...figureColumns('Threads per image'), ...SWEEP_COLUMNS],
      run.threadSweeps.flatMap(({ threads, sweep }) =>
        sweep.points.map((point) => [String(threads), ...sweepRow({ ...sweep, knee: threads === run.imageThreads ? chosenKnee(run, sweep) : -1 }, point)]),
      ),
    ),
    '',
    '### Sweep',
    '',
    markdownTable(SWEEP_COLUMNS, run.sweeps.flatMap((sweep) => sweep.points.map((point) => sweepRow(sweep, point)))),
    ...errorNotes(all),
    '',
    '### Chosen',
    '',
    markdownTable(CHOSEN_COLUMNS, chosenRows(run)),
    '',
    '### Reading',
    '',
    [...run.sweeps.map(readSweep), imagePoolNote(run), disturbanceNote(kept)].filter(Boolean).join(' '),
  ].join('\n');
}

/** The jobs at once chosen for the representative swept at the chosen threads. */
function chosenKnee(run: TuneRun, sweep: CommandSweep): number {
  return run.sweeps.find((chosen) => chosen.spec.command === sweep.spec.command)?.knee ?? -1;
}

function sweepRow(sweep: CommandSweep, { concurrency, cell, otherPass }: CommandSweep['points'][number]): string[] {
  const { result } = cell;
  return [
    sweep.spec.command,
    String(concurrency),
    ...cellCounts(cell),
    figure(result.opsPerSecond, 1),
    figure(otherPass?.result.opsPerSecond ?? Number.NaN, 1),
    figure(result.p50Ms, 1),
    figure(result.p95Ms, 1),
    figure(cell.meanJobMs ?? Number.NaN, 1),
    figure(result.otherCpuCores, 2),
    concurrency === sweep.knee ? '**knee**' : '',
  ];
}

function chosenRows(run: TuneRun): string[][] {
  const chosen = chosenConcurrency(run);
  const rows = run.sweeps.map((sweep) => [sweep.spec.command, String(sweep.knee), 'its sweep']);
  for (const [command, model] of Object.entries(DERIVED_COMMANDS)) {
    if (chosen.commands[command] !== undefined) rows.push([command, String(chosen.commands[command]), `${model}'s knee (not swept)`]);
  }
  rows.push(['any other (`default`)', String(chosen.default), `${DEFAULT_FROM}'s knee`]);
  return rows;
}

/** One sentence per command: where its best throughput was and which part of the rule set the knee. */
function readSweep(sweep: CommandSweep): string {
  const points = sweepPoints(sweep.points);
  const best = points.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const base = points.find((point) => point.concurrency === 1);
  const knee = points.find((point) => point.concurrency === sweep.knee);
  if (!base || !knee) return '';
  const kneeFigures = `${figure(knee.perSecond, 1)} req/s, ${figure(knee.perSecond / base.perSecond, 2)}× n = 1, p95 ${figure(knee.p95Ms, 0)} ms`;
  const nearBest = knee.perSecond >= (1 - THROUGHPUT_TOLERANCE) * best.perSecond;
  if (nearBest && knee.concurrency === best.concurrency) {
    return `${sweep.spec.command}: n = ${knee.concurrency} (${kneeFigures}) is both the fastest and within the p95 bound.`;
  }
  if (nearBest) {
    return (
      `${sweep.spec.command}: n = ${knee.concurrency} (${kneeFigures}) is the smallest within ${THROUGHPUT_TOLERANCE * 100} % of the best ` +
      `(${figure(best.perSecond, 1)} req/s at n = ${best.concurrency}); more jobs at once only add latency.`
    );
  }
  return (
    `${sweep.spec.command}: the best, ${figure(best.perSecond, 1)} req/s at n = ${best.concurrency}, comes with p95 ${figure(best.p95Ms, 0)} ms, ` +
    `over ${P95_GROWTH_LIMIT}× the ${figure(base.p95Ms, 0)} ms at n = 1, as does everything near it; the fastest n within that bound is ` +
    `${knee.concurrency} (${kneeFigures}).`
  );
}

/** Why image throughput stops growing past a few jobs, whatever the figures: the code path's reason. */
function imagePoolNote(run: TuneRun): string {
  if (!run.sweeps.some((sweep) => sweep.spec.family === 'image')) return '';
  return (
    `Image jobs run sharp on the worker's libuv threadpool (${run.facts.libuvThreadpool} threads here), so more image jobs ` +
    `than that at once only queue inside the worker, and on ${run.facts.cores} cores the gateway, Redis and the load ` +
    'generator share the CPU with them; ffmpeg and ffprobe are child processes, limited only by the cores.'
  );
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
