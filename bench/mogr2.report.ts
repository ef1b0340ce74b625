import { MOGR2, MOGR2_LEVELS, MOGR2_PLAN } from './mogr2.plan';
import { machineFacts, machineSummary } from './support/machine';
import { closedLoopMethod, timeBoxText } from './support/method';
import { PLATFORM_SETUP } from './support/platform';
import type { SharpVsGatewayRun } from './support/sharp-vs-gateway';
import { LATENCY_FIGURES, sharpVsGatewayResults } from './support/sharp-vs-gateway.table';
import { SOURCE, UNCACHED_VARIATION } from './thumbnail.plan';

const MiB = 1024 * 1024;

/** The imageMogr2 section of BENCHMARKS.md: what was measured, how, where, the table and a reading. */
export function mogr2Section(run: SharpVsGatewayRun): string {
  const { qualities, widths, heights } = UNCACHED_VARIATION;
  const span = (values: readonly number[]) => `${values[0]}–${values[values.length - 1]}`;
  const box = `${MOGR2.width}x${MOGR2.height}`;
  return [
    `## imageMogr2 thumbnail: 12 MP JPEG → fit inside ${MOGR2.width}×${MOGR2.height}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- mogr2\`) on: ${machineSummary(machineFacts())}.`,
    `The thumbnail benchmark's source (${SOURCE.width}×${SOURCE.height} JPEG q ${SOURCE.quality}, ${(run.sourceBytes / MiB).toFixed(1)} MiB, gradient under`,
    `grain) made into \`imageMogr2/thumbnail/${box}\` (fit inside the box keeping the ratio: 320×240) three ways,`,
    `each with ${MOGR2_LEVELS.join(' and ')} operations in flight.`,
    '',
    '### How it is measured',
    '',
    ...closedLoopMethod(timeBoxText(MOGR2_PLAN), LATENCY_FIGURES),
    '',
    `**(a) raw sharp**: \`sharp(buf).resize(${MOGR2.width}, ${MOGR2.height}, { fit: 'inside' }).jpeg({ quality: ${MOGR2.quality} }).toBuffer()\` in the`,
    `bench process on a Buffer in memory. q ${MOGR2.quality} is what Fopflow itself uses here: imageMogr2's quality is the requested one`,
    `(default 75) but never above the source's own, which for a JPEG it estimates from the quantization tables`,
    `(${SOURCE.quality} for this source). Fopflow's pipeline also asks sharp to keep metadata and to flatten onto a`,
    'background; this source has neither metadata nor alpha, so neither adds work.',
    '',
    `**(b) gateway, uncached**: the built gateway and one worker (imageMogr2 ×${run.workerConcurrency} at once, from`,
    `config/concurrency.json) on a private redis-server, with ${PLATFORM_SETUP}; the source`,
    `is uploaded once. Every request is a distinct URL, \`imageMogr2/thumbnail/<${span(widths)}>x<${span(heights)}>/quality/<${span(qualities)}>\`,`,
    'so it is a new result key and a real job (the same box and quality spread as the thumbnail benchmark: the',
    'decode of 12 MP dominates, so the work is that of (a)). Only a 200 with `X-Fop-Cache: MISS` counts. *Job ms* is',
    "the worker's mean time per job during the cell, from `fopflow_job_duration_seconds`.",
    '',
    `**(c) gateway, cached**: \`?imageMogr2/thumbnail/${box}\` every time after one warm-up request; only a 200 with`,
    '`X-Fop-Cache: HIT` counts.',
    '',
    'Cells run in the order (a) 1, (b) 1, (a) 4, (b) 4, then (c): on a shared machine, a change in what else runs',
    'then falls on both sides of a ratio alike.',
    '',
    ...sharpVsGatewayResults(run, 'imageMogr2'),
  ].join('\n');
}
