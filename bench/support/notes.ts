import type { MeasuredCell } from './cells';
import { figure } from './markdown';

/** Cores busy elsewhere above which a cell's figures are called disturbed. */
export const DISTURBED_OTHER_CORES = 0.2;

/** The machine may be shared: a sentence saying how much it was, or '' when it was quiet. */
export function disturbanceNote(cells: readonly MeasuredCell[]): string {
  const disturbed = cells.filter((c) => c.result.otherCpuCores > DISTURBED_OTHER_CORES);
  if (disturbed.length === 0) return '';
  const worst = Math.max(...disturbed.map((c) => c.result.otherCpuCores));
  return [
    `Other processes kept up to ${figure(worst, 2)} cores busy during ${disturbed.length} of the ${cells.length} cells`,
    '(column Other CPU): those figures are likely lower than this machine gives when quiet, and ratios between',
    'cells measured under different disturbance are approximate.',
  ].join(' ');
}

/** Lines under a table naming the first error of every cell that had any. */
export function errorNotes(cells: readonly MeasuredCell[]): string[] {
  const failing = cells.filter((cell) => cell.result.failed > 0);
  return failing.length === 0
    ? []
    : ['', ...failing.map((cell) => `Errors in ${cell.path} ×${cell.concurrency}, first: ${cell.result.firstError ?? 'unknown'}`)];
}

/** Ops per second of `path` at `concurrency` among `cells`; NaN when that cell was not measured. */
export function rateOf(cells: readonly MeasuredCell[], path: string, concurrency: number): number {
  return cells.find((cell) => cell.path === path && cell.concurrency === concurrency)?.result.opsPerSecond ?? Number.NaN;
}

/** The first figures of every table row: operations in flight, completed, failed. */
export function cellCounts(cell: MeasuredCell): string[] {
  return [String(cell.concurrency), String(cell.result.completed), String(cell.result.failed)];
}
