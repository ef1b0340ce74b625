import { AVTHUMB_FOP, AVTHUMB_LEVELS, AVTHUMB_PLAN, AvthumbCell, AvthumbPath, AvthumbRun, BOX, CLIP, UNCACHED_AUDIO_KBPS } from './avthumb.plan';
import { machineFacts, machineSummary } from './support/machine';
import { PLATFORM_SETUP } from './support/platform';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';
import { closedLoopMethod } from './support/method';
import { cellCounts, disturbanceNote, errorNotes, rateOf } from './support/notes';

const MiB = 1024 * 1024;

const COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('In flight', 'Runs', 'Errors', 'runs/min', 's per transcode', 'p50 s', 'p99 s', '× direct', 'Job s', 'Other CPU'),
];

/** The avthumb section of BENCHMARKS.md: what was measured, how, where, the table and a reading. */
export function avthumbSection(run: AvthumbRun): string {
  const kbps = UNCACHED_AUDIO_KBPS;
  return [
    `## avthumb: ${CLIP.durationS} s ${CLIP.height}p clip → MP4 ${BOX.width}×${BOX.height}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- avthumb\`) on: ${machineSummary(machineFacts())}.`,
    `The bench makes the source with ffmpeg: ${CLIP.durationS} s of \`testsrc2=size=${CLIP.width}x${CLIP.height}:rate=${CLIP.framesPerSecond}\` and a 440 Hz`,
    `\`sine\`, x264 veryfast + AAC 128k in MP4 (${(run.sourceBytes / MiB).toFixed(1)} MiB), and transcodes it with \`${AVTHUMB_FOP}\``,
    `(${(run.resultBytes / 1024).toFixed(0)} KiB result) two ways, each with ${AVTHUMB_LEVELS.join(' and ')} transcodes in flight.`,
    '',
    '### How it is measured',
    '',
    ...closedLoopMethod(
      `One untimed transcode per path first, then ${AVTHUMB_PLAN.durationMs / 1000} s measured per cell (no transcode starts after that)`,
      'runs/min is completed transcodes over the elapsed time and *s per transcode* its inverse, what the machine delivers (at 2 in flight not the wall time of one run); p50 and p99 are nearest-rank wall times of the runs: with fewer than 100 runs per cell, p99 is the slowest run.',
    ),
    '',
    "**(a) direct ffmpeg**: the ffmpeg command Fopflow runs for this fop, started by the bench on the source file, output to a scratch dir. libs/media exposes no argument builder (its avthumb step builds the list and runs it in one go), so `bench/avthumb.ffmpeg.ts` writes the list out following libs/media, and the bench compares it with the arguments of the ffmpeg the worker really starts for the same fop (read from /proc during (b)'s warm-up request) and stops if they differ:",
    run.argsVerified ? '(checked: they were the same in this run)' : '(not checked in this run: the worker\'s ffmpeg was not seen)',
    '',
    '```',
    `ffmpeg ${run.directArgs.join(' ')}`,
    '```',
    '',
    `**(b) gateway, uncached**: the built gateway, one worker (avthumb ×${run.workerConcurrency} at once, from config/concurrency.json)`,
    `and a private redis-server, with ${PLATFORM_SETUP}; the clip is uploaded once. Each request is a new result key and a real job:`,
    `the fop plus \`ab/<${kbps[0]}–${kbps[kbps.length - 1]}>k\`, which changes only the AAC bitrate (\`-b:a\`), not the video encode that is nearly all`,
    'the work. Only a 200 with `X-Fop-Cache: MISS` counts. The job probes the source with ffprobe, copies it into',
    "the job's work dir, runs the same ffmpeg command and stores the result in the cache. *Job s* is the worker's",
    'mean time per job in the cell, from `fopflow_job_duration_seconds`; the rest of the latency is HTTP and queue.',
    '',
    'Cells run in the order (a) 1, (b) 1, (a) 2, (b) 2: on a shared machine, a change in what else runs then falls',
    'on both sides of a ratio alike.',
    '',
    '### Results',
    '',
    markdownTable(COLUMNS, run.cells.map((cell) => row(cell, run.cells))),
    ...errorNotes(run.cells),
    '',
    '### Reading',
    '',
    reading(run),
  ].join('\n');
}

function row(cell: AvthumbCell, cells: readonly AvthumbCell[]): string[] {
  const { result } = cell;
  return [
    cell.path,
    ...cellCounts(cell),
    figure(result.opsPerSecond * 60, 1),
    figure(1 / result.opsPerSecond, 2),
    seconds(result.p50Ms),
    seconds(result.p99Ms),
    `${figure(result.opsPerSecond / rateOf(cells, 'direct ffmpeg', cell.concurrency), 2)}×`,
    figure((cell.meanJobMs ?? Number.NaN) / 1000, 2),
    figure(result.otherCpuCores, 2),
  ];
}

/** Read off the figures; the reasons given are those of the code paths. */
function reading(run: AvthumbRun): string {
  const cell = (path: AvthumbPath, level: number) => run.cells.find((c) => c.path === path && c.concurrency === level);
  const [one, two] = AVTHUMB_LEVELS;
  const direct1 = cell('direct ffmpeg', one);
  const direct2 = cell('direct ffmpeg', two);
  const gateway1 = cell('gateway, uncached', one);
  const gateway2 = cell('gateway, uncached', two);
  const parts: string[] = [];
  if (direct1 && gateway1) {
    const job = (gateway1.meanJobMs ?? Number.NaN) / 1000;
    const mean = gateway1.result.meanMs / 1000;
    parts.push(
      `One at a time, a transcode takes ${seconds(direct1.result.p50Ms)} s run directly and ${seconds(gateway1.result.p50Ms)} s`,
      `through the gateway (p50; ${figure(gateway1.result.opsPerSecond / direct1.result.opsPerSecond, 2)}× the direct rate). A gateway request took`,
      `${figure(mean, 2)} s on average, ${figure(job, 2)} s of it the worker's job: the same ffmpeg run plus ffprobe, copying the`,
      `${figure(run.sourceBytes / MiB, 1)} MiB source into the work dir and storing the result; HTTP and the queue are the other ~${figure(mean - job, 2)} s.`,
    );
  }
  if (direct1 && direct2) {
    const gain = direct2.result.opsPerSecond / direct1.result.opsPerSecond;
    parts.push(
      `Two direct transcodes at once deliver ${figure(gain, 2)}× the runs of one, while each run's wall time grows from`,
      `${seconds(direct1.result.p50Ms)} to ${seconds(direct2.result.p50Ms)} s (p50):`,
      gain < 1.25
        ? 'x264 and the H.264 decoder already spread one transcode over both cores, so a second one mostly competes for them.'
        : 'one transcode leaves part of the cores idle (the decoder, the filter graph and the audio are not all threaded), and a second fills them.',
    );
  }
  if (gateway2 && direct2) {
    const ratio = gateway2.result.opsPerSecond / direct2.result.opsPerSecond;
    const waiting = Number(run.workerConcurrency) < two;
    parts.push(
      `Through the gateway at ${two} in flight the rate is ${figure(ratio, 2)}× the direct one.`,
      waiting
        ? `The worker runs ${run.workerConcurrency} avthumb job at a time (config/concurrency.json), so the second request waits in the queue` +
            (ratio >= 0.9 ? ': as one transcode nearly fills both cores, that costs latency rather than throughput.' : ', and that shows as lost throughput.')
        : `The worker runs up to ${run.workerConcurrency} avthumb jobs at a time, so both run together.`,
    );
  }
  const disturbed = disturbanceNote(run.cells);
  if (disturbed) parts.push(disturbed);
  return parts.join(' ');
}

/** ms as seconds with two decimals. */
function seconds(ms: number): string {
  return figure(ms / 1000, 2);
}
