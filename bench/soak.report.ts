import { SAMPLE_EVERY_MS, SHOW_EVERY_MS, SOAK_CONCURRENCY, SOAK_PLAN, SoakRun } from './soak.plan';
import { machineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable } from './support/markdown';
import { PLATFORM_SETUP } from './support/platform';
import { SOURCE } from './thumbnail.plan';

const MiB = 1024 * 1024;
const COLUMNS: readonly Column[] = figureColumns('Seconds', 'Answered', 'Worker RSS MiB', 'Gateway RSS MiB');

/** The soak section of BENCHMARKS.md: resident memory over a steady five-minute load. */
export function soakSection(run: SoakRun, thumbnail: { width: number; height: number }): string {
  const every = Math.round(SHOW_EVERY_MS / SAMPLE_EVERY_MS);
  const shown = run.samples.filter((_, index) => index % every === 0 || index === run.samples.length - 1);
  const minuteMax = (fromS: number, toS: number) => Math.max(...run.samples.filter((s) => s.atS >= fromS && s.atS < toS).map((s) => s.workerMiB));
  const lastS = run.samples.at(-1)!.atS;
  return [
    `## Soak: worker memory over ${SOAK_PLAN.durationMs / 60_000} minutes of uncached thumbnails at ${SOAK_CONCURRENCY} in flight`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- soak\` on: ${machineSummary(machineFacts())}.`,
    `The thumbnail benchmark's source (${SOURCE.width}×${SOURCE.height} JPEG, ${(run.sourceBytes / MiB).toFixed(1)} MiB) made into ~${thumbnail.width}×${thumbnail.height}`,
    `cover thumbnails, every request a new result (\`X-Fop-Cache: MISS\`), ${SOAK_CONCURRENCY} in flight for ${SOAK_PLAN.durationMs / 1000} s without a pause,`,
    `on the built gateway, one worker (imageView2 ×${run.workerConcurrency}) and a private redis-server, with ${PLATFORM_SETUP}.`,
    `Every ${SAMPLE_EVERY_MS / 1000} s the bench reads each app's resident set (VmRSS in /proc); the peaks are the kernel's high-water marks (VmHWM) at the end.`,
    '',
    `${run.requests} thumbnails answered (${figure(run.perSecond, 1)}/s), ${run.failed} failed. Worker peak ${figure(run.workerPeakMiB, 0)} MiB, gateway peak`,
    `${figure(run.gatewayPeakMiB, 0)} MiB. The worker's highest reading in the first minute: ${figure(minuteMax(0, 60), 0)} MiB; in the last: ${figure(minuteMax(lastS - 60, lastS + 1), 0)} MiB.`,
    '',
    markdownTable(
      COLUMNS,
      shown.map((sample) => [figure(sample.atS, 0), String(sample.answered), figure(sample.workerMiB, 0), figure(sample.gatewayMiB, 0)]),
    ),
  ].join('\n');
}
