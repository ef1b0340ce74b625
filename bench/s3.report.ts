import { S3_PLAN, S3Path, S3Run, SOURCE, THUMBNAIL, WARMUP_OPS } from './s3.plan';
import type { MeasuredCell } from './support/cells';
import { machineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';
import { closedLoopMethod } from './support/method';
import { cellCounts, disturbanceNote, errorNotes, rateOf } from './support/notes';
import { PLATFORM_SETUP } from './support/platform';

const MiB = 1024 * 1024;

const COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('In flight', 'Requests', 'Errors', 'req/s', '÷ local disk', 'p50 ms', 'p99 ms', 'Job ms', 'Other CPU'),
];

/** The local-disk path a path is compared with: the same cache state on the other storage. */
const baselineOf = (path: S3Path): S3Path => path.replace(/^S3/, 'local disk') as S3Path;

/** The s3 section of BENCHMARKS.md. */
export function s3Section(run: S3Run, s3: string): string {
  const rows = run.cells.map((cell) => row(cell, run.cells));
  return [
    `## Thumbnail with sources on S3: warm and cold source cache against local disk`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- s3\` on: ${machineSummary(machineFacts())}.`,
    `The thumbnail benchmark's work (a ${SOURCE.width}×${SOURCE.height} JPEG, ${(run.sourceBytes / MiB).toFixed(1)} MiB, to \`imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}\`)`,
    `with the objects in ${s3} (\`FOPFLOW_STORAGE=s3\`, one S3 bucket, path-style), next to the same on local disk.`,
    '',
    '### How it is measured',
    '',
    ...closedLoopMethod(
      `${WARMUP_OPS} untimed requests, then ${S3_PLAN.durationMs / 1000} s measured (or ${S3_PLAN.maxOps} requests, whichever comes first)`,
      'req/s is completed requests over that time; p50 and p99 are nearest-rank latencies.',
    ),
    '',
    `Two platforms run at once, each the built gateway, one worker (imageView2 ×${run.workerConcurrency}) and a private redis-server, with`,
    `${PLATFORM_SETUP}: one on local disk, one on S3, where results go too (the system bucket \`fopflow-results\``,
    'behind the gateway\'s bounded front tier). The four paths alternate level by level, so a change in what else',
    'the machine runs falls on all of them alike; the platform not measured sits idle. Only a 200 with',
    '`X-Fop-Cache: MISS` counts: every request is a new result.',
    '',
    '- **warm source**: every request a new fop (the thumbnail benchmark\'s spread of box and quality) of one object: the',
    "  worker's source cache has it after the first request, so a request costs the storage a metadata read at most.",
    '- **cold source**: every request the same fop of a new object (copies uploaded beforehand): the worker fetches',
    '  every source from the storage (a GET of the whole 12 MP JPEG from S3) before it decodes it.',
    '',
    '*÷ local disk* is the row\'s req/s over the local-disk row of the same cache state and level. s3rver is not a',
    'child of the bench: its CPU shows as *Other CPU* in the S3 rows, where it belongs to the measured path.',
    '',
    markdownTable(COLUMNS, rows),
    ...errorNotes(run.cells),
    '',
    disturbanceNote(run.cells.filter((cell) => !cell.path.startsWith('S3'))),
  ].join('\n');
}

function row(cell: MeasuredCell<S3Path>, cells: readonly MeasuredCell<S3Path>[]): string[] {
  const { result } = cell;
  const baseline = rateOf(cells, baselineOf(cell.path), cell.concurrency);
  return [
    cell.path,
    ...cellCounts(cell),
    figure(result.opsPerSecond, 1),
    `${figure(result.opsPerSecond / baseline, 2)}×`,
    figure(result.p50Ms, 1),
    figure(result.p99Ms, 1),
    cell.meanJobMs === undefined ? '–' : figure(cell.meanJobMs, 1),
    figure(result.otherCpuCores, 2),
  ];
}
