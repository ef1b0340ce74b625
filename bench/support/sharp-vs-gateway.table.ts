import { Column, figure, figureColumns, markdownTable, wordColumns } from './markdown';
import { cellCounts, errorNotes, rateOf } from './notes';
import type { ImagePathCell, SharpVsGatewayRun } from './sharp-vs-gateway';
import { sharpVsGatewayReading } from './sharp-vs-gateway.reading';

/** What the table's req/s and latency columns are, for the section's method. */
export const LATENCY_FIGURES =
  'req/s is completed operations over that elapsed time; p50 and p99 are nearest-rank latencies of the completed ones.';

const COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('In flight', 'Requests', 'Errors', 'req/s', 'p50 ms', 'p99 ms', '× raw sharp', 'Job ms', 'Other CPU'),
];

/** The Results and Reading parts of a sharp-vs-gateway section; `command` is the fop's. */
export function sharpVsGatewayResults(run: SharpVsGatewayRun, command: string): string[] {
  const { cells } = run;
  return [
    '### Results',
    '',
    markdownTable(COLUMNS, cells.map((cell) => row(cell, cells))),
    ...errorNotes(cells),
    '',
    '### Reading',
    '',
    sharpVsGatewayReading(run, command),
  ];
}

function row(cell: ImagePathCell, cells: readonly ImagePathCell[]): string[] {
  const { result } = cell;
  const baseline = rateOf(cells, 'raw sharp', cell.concurrency);
  return [
    cell.path,
    ...cellCounts(cell),
    figure(result.opsPerSecond, 1),
    figure(result.p50Ms, 1),
    figure(result.p99Ms, 1),
    `${figure(result.opsPerSecond / baseline, 2)}×`,
    figure(cell.meanJobMs ?? Number.NaN, 1),
    figure(result.otherCpuCores, 2),
  ];
}
