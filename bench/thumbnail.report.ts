import { Column, figure, markdownTable } from './support/markdown';
import { thumbnailReading } from './thumbnail.reading';
import { CELL_PLAN, CONCURRENCY_LEVELS, SOURCE, THUMBNAIL, ThumbnailCell, ThumbnailPath, ThumbnailRun, UNCACHED_VARIATION } from './thumbnail.plan';

const MiB = 1024 * 1024;

const COLUMNS: readonly Column[] = [
  { header: 'Path', align: 'left' },
  { header: 'In flight', align: 'right' },
  { header: 'Requests', align: 'right' },
  { header: 'Errors', align: 'right' },
  { header: 'req/s', align: 'right' },
  { header: 'p50 ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: '× raw sharp', align: 'right' },
  { header: 'Job ms', align: 'right' },
  { header: 'Other CPU', align: 'right' },
];

/** The thumbnail section of BENCHMARKS.md: what was measured, how, the table and a reading. */
export function thumbnailSection(run: ThumbnailRun): string {
  return [
    `## Thumbnail: 12 MP JPEG → ${THUMBNAIL.width}×${THUMBNAIL.height}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- thumbnail\`).`,
    `One ${SOURCE.width}×${SOURCE.height} JPEG (q ${SOURCE.quality}, ${(run.sourceBytes / MiB).toFixed(1)} MiB) made into a`,
    `${THUMBNAIL.width}×${THUMBNAIL.height} thumbnail (\`imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}\`: cover, centre crop,`,
    `JPEG q ${THUMBNAIL.quality}) three ways, each with ${CONCURRENCY_LEVELS.join(', ')} operations in flight. The source is made by`,
    'the bench: a diagonal colour gradient under per-pixel Gaussian grain, so that it is as large and as slow to',
    'decode as a phone photo (a flat colour decodes many times faster). Absolute figures depend on the picture;',
    'the ratios between columns much less.',
    '',
    '### How it is measured',
    '',
    ...howItIsMeasured(run),
    '',
    '### Results',
    '',
    markdownTable(COLUMNS, run.cells.map((cell) => row(cell, run.cells))),
    ...errorNotes(run.cells),
    '',
    '### Reading',
    '',
    thumbnailReading(run),
  ].join('\n');
}

function howItIsMeasured(run: ThumbnailRun): string[] {
  const { qualities, widths, heights } = UNCACHED_VARIATION;
  const span = (values: number[]) => `${values[0]}–${values[values.length - 1]}`;
  return [
    `**Every cell** is a closed loop: each of the N slots starts its next operation as soon as its last one`,
    `ends. ${CELL_PLAN.warmupMs / 1000} s of untimed warm-up, then ${CELL_PLAN.durationMs / 1000} s measured (or ${CELL_PLAN.maxOps}`,
    'operations, whichever comes first); operations still in flight at the deadline are waited for and counted.',
    'req/s is completed operations over that elapsed time; p50 and p99 are nearest-rank latencies of the completed',
    'ones. The load comes from the bench process itself (node:http, one keep-alive socket per slot), on the same',
    'cores as everything it measures. *Other CPU* is the cores kept busy, on average over the cell, by processes',
    'the bench did not start (/proc/stat less the bench and its children; hypervisor steal counts as other,',
    "interrupt time as nobody's): the machine may be shared, and a cell with a figure well above 0 was disturbed.",
    '',
    `**(a) raw sharp**: \`sharp(buf).resize(${THUMBNAIL.width}, ${THUMBNAIL.height}, { fit: 'cover' }).jpeg({ quality: ${THUMBNAIL.quality} }).toBuffer()\``,
    'in the bench process, on one Buffer held in memory. No HTTP, disk or queue: the ceiling of this machine,',
    'and the denominator of the *× raw sharp* column.',
    '',
    '**(b) gateway, uncached**: the built gateway (`dist/apps/gateway`), one worker (`dist/apps/worker`, running',
    `imageView2 jobs ×${run.workerConcurrency} at once, from config/concurrency.json) and a private redis-server, on a fresh`,
    'data dir; the source is uploaded once. Every request is a distinct fop URL,',
    `\`imageView2/1/w/<${span(widths)}>/h/<${span(heights)}>/q/<${span(qualities)}>\`, so it has a new result key and runs a real`,
    'job: the gateway stats the source, misses the cache and enqueues; the worker reads the source from disk,',
    'checks its header, thumbnails it and writes the result cache; the gateway streams the result. Distinct URLs',
    'rather than deleting the cache between requests, because a delete would race with the other requests in',
    'flight and add its own Redis and disk work to the figure. The spans stay close to the box and q of (a), and',
    'encoding ~0.1 MP is small next to decoding 12 MP, so the work per request is that of (a).',
    'An answer counts only if it is a 200 with `X-Fop-Cache: MISS`. *Job ms* is the mean time the worker spent',
    "per job during the cell (from the gateway's `fopflow_job_duration_seconds`): from picking the job up to its",
    'result being in the cache; the rest of the latency is HTTP and queue.',
    '',
    `**(c) gateway, cached**: the same platform, the same URL \`?imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}\` every time after`,
    'one warm-up request; an answer counts only if it is a 200 with `X-Fop-Cache: HIT` (a Redis lookup and a',
    'file streamed from the result cache).',
  ];
}

function row(cell: ThumbnailCell, cells: readonly ThumbnailCell[]): string[] {
  const { result } = cell;
  const baseline = rate(cells, 'raw sharp', cell.concurrency);
  return [
    cell.path,
    String(cell.concurrency),
    String(result.completed),
    String(result.failed),
    figure(result.opsPerSecond, 1),
    figure(result.p50Ms, 1),
    figure(result.p99Ms, 1),
    `${figure(result.opsPerSecond / baseline, 2)}×`,
    figure(cell.meanJobMs ?? Number.NaN, 1),
    figure(result.otherCpuCores, 2),
  ];
}

function errorNotes(cells: readonly ThumbnailCell[]): string[] {
  const failing = cells.filter((cell) => cell.result.failed > 0);
  return failing.length === 0
    ? []
    : ['', ...failing.map((cell) => `Errors in ${cell.path} ×${cell.concurrency}, first: ${cell.result.firstError ?? 'unknown'}`)];
}

/** req/s of `path` at `concurrency`; NaN when that cell was not measured. */
function rate(cells: readonly ThumbnailCell[], path: ThumbnailPath, concurrency: number): number {
  return cells.find((cell) => cell.path === path && cell.concurrency === concurrency)?.result.opsPerSecond ?? Number.NaN;
}
