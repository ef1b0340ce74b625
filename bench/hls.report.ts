import { HLS_CLIP, HLS_FOP, HlsPath, HlsRun, hlsRounds } from './hls.plan';
import { machineFacts, machineSummary } from './support/machine';
import { PLATFORM_SETUP } from './support/platform';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';

const COLUMNS: readonly Column[] = [...wordColumns('Path'), ...figureColumns('Runs', 'median s', 'slowest s', '× direct')];

/** The hls section of BENCHMARKS.md: what was measured, how, the table. */
export function hlsSection(run: HlsRun): string {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const directMedian = median(run.timings['direct ffmpeg']);
  const rows = (Object.entries(run.timings) as [HlsPath, number[]][]).map(([path, values]) => [
    path,
    String(values.length),
    figure(median(values), 2),
    figure(Math.max(...values), 2),
    figure(median(values) / directMedian, 2),
  ]);
  return [
    `## hls: ${HLS_CLIP.durationS} s ${HLS_CLIP.height}p clip → HLS with \`${HLS_FOP}\``,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- hls\` on: ${machineSummary(machineFacts())}.`,
    `The source is ${HLS_CLIP.durationS} s of \`testsrc2=size=${HLS_CLIP.width}x${HLS_CLIP.height}:rate=${HLS_CLIP.framesPerSecond}\` and a 440 Hz \`sine\` (x264 veryfast + AAC in MP4).`,
    '',
    '### How it is measured',
    '',
    'HLS runs only as an async job, so one run is one job: **(b)** is the time from POST /v1/jobs to the',
    `status answering code 0 (polled every 100 ms), with the built gateway, one worker (avthumb ×${run.workerConcurrency}) and a private`,
    `Redis; ${PLATFORM_SETUP}. It includes fetching the source into the work dir, the ffmpeg run, and storing`,
    'every segment and then the playlist. **(a)** is the ffmpeg command the worker ran for the same fop, read from',
    "/proc during an untimed first job and replayed by the bench with local paths, so both paths run the same",
    `arguments. ${hlsRounds()} rounds each run (a) then (b) once, one at a time; the table gives the median and the slowest run.`,
    '',
    '```',
    `ffmpeg ${run.directArgs.join(' ')}`,
    '```',
    '',
    markdownTable(COLUMNS, rows),
  ].join('\n');
}
