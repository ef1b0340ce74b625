import type { MeasuredCell } from './cells';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './markdown';
import { cellCounts, errorNotes, rateOf } from './notes';
import type { SharpVsGatewayRun } from './sharp-vs-gateway';
import { sharpVsGatewayReading } from './sharp-vs-gateway.reading';

/** What the table's req/s and latency columns are, for the section's method. */
export const LATENCY_FIGURES =
  'req/s is completed operations over that elapsed time; p50 and p99 are nearest-rank latencies of the completed ones.';

/**
 * The columns of a table of paths against a baseline path, named in the ratio's header; with
 * `peer`, a second ratio column against that path (a tool a user would pick instead).
 */
export function latencyColumns(baseline: string, peer?: string): Column[] {
  const ratios = [`× ${baseline}`, ...(peer ? [`× ${peer}`] : [])];
  return [...wordColumns('Path'), ...figureColumns('In flight', 'Requests', 'Errors', 'req/s', 'p50 ms', 'p99 ms', ...ratios, 'Job ms', 'Other CPU')];
}

/**
 * One row of such a table; `baselinePerS` is the rate of the baseline path the ratio divides by,
 * `peerPerS` that of the peer path when the table has its column.
 */
export function latencyRow(cell: MeasuredCell, baselinePerS: number, peerPerS?: number): string[] {
  const { result } = cell;
  const ratio = (perS: number) => `${figure(result.opsPerSecond / perS, 2)}×`;
  return [
    cell.path,
    ...cellCounts(cell),
    figure(result.opsPerSecond, 1),
    figure(result.p50Ms, 1),
    figure(result.p99Ms, 1),
    ratio(baselinePerS),
    ...(peerPerS === undefined ? [] : [ratio(peerPerS)]),
    figure(cell.meanJobMs ?? Number.NaN, 1),
    figure(result.otherCpuCores, 2),
  ];
}

/** The Results and Reading parts of a sharp-vs-gateway section; `command` is the fop's. */
export function sharpVsGatewayResults(run: SharpVsGatewayRun, command: string): string[] {
  const { cells } = run;
  const peer = cells.some((cell) => cell.path === 'ipx') ? 'ipx' : undefined;
  const row = (cell: MeasuredCell) => latencyRow(cell, rateOf(cells, 'raw sharp', cell.concurrency), peer && rateOf(cells, peer, cell.concurrency));
  return [
    '### Results',
    '',
    markdownTable(latencyColumns('raw sharp', peer), cells.map(row)),
    ...errorNotes(cells),
    '',
    '### Reading',
    '',
    sharpVsGatewayReading(run, command),
  ];
}
