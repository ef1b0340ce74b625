import { figure } from './markdown';
import { disturbanceNote } from './notes';
import type { ImagePath, ImagePathCell, SharpVsGatewayRun } from './sharp-vs-gateway';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The paragraph under the table, read off the figures so that it stays true on another machine
 * or another day; the reasons it gives are those of the code paths, not of this run.
 */
export function sharpVsGatewayReading(run: SharpVsGatewayRun, command: string): string {
  const cell = (path: ImagePath, level: number) => run.cells.find((c) => c.path === path && c.concurrency === level);
  const levels = [...new Set(run.cells.map((c) => c.concurrency))].sort((a, b) => a - b);
  return [
    latencyAlone(cell('raw sharp', levels[0]), cell('gateway, uncached', levels[0]), run.sourceBytes),
    underLoad(run, command, cell, levels),
    againstPeers(cell, levels),
    fromCache(run),
    disturbanceNote(run.cells),
  ]
    .filter(Boolean)
    .join(' ');
}

/** With one request in flight nothing queues: the gateway's cost is latency, split by the job time. */
function latencyAlone(raw: ImagePathCell | undefined, uncached: ImagePathCell | undefined, sourceBytes: number): string {
  if (!raw || !uncached) return '';
  const job = uncached.meanJobMs ?? Number.NaN;
  return [
    `With ${raw.concurrency} request in flight nothing queues, so what the gateway costs shows as latency: p50`,
    `${figure(uncached.result.p50Ms, 1)} ms against ${figure(raw.result.p50Ms, 1)} ms for raw sharp`,
    `(${figure(uncached.result.opsPerSecond / raw.result.opsPerSecond, 2)}× its rate). The worker spends`,
    `${figure(job, 1)} ms of it on the job: the same sharp work plus reading the ${figure(sourceBytes / MiB, 1)} MiB`,
    'source from disk into memory, reading its header once more to check its size before decoding, and writing',
    `the result cache. The other ~${figure(uncached.result.meanMs - job, 0)} ms (mean latency less mean job time) is HTTP,`,
    'the source stat and cache lookup, the BullMQ enqueue, pick-up and completion event, and streaming the result back.',
  ].join(' ');
}

/** Past the worker's concurrency, more requests in flight only queue. */
function underLoad(
  run: SharpVsGatewayRun,
  command: string,
  cell: (path: ImagePath, level: number) => ImagePathCell | undefined,
  levels: readonly number[],
): string {
  const highest = levels[levels.length - 1];
  const ratios = levels.slice(1).flatMap((level) => {
    const raw = cell('raw sharp', level);
    const uncached = cell('gateway, uncached', level);
    return raw && uncached ? [`${figure(uncached.result.opsPerSecond / raw.result.opsPerSecond, 2)}× at ${level}`] : [];
  });
  const busiest = cell('gateway, uncached', highest);
  if (ratios.length === 0 || !busiest) return '';
  const waiting = Number.isFinite(Number(run.workerConcurrency)) ? highest - Number(run.workerConcurrency) : undefined;
  const { opsPerSecond, p50Ms } = busiest.result;
  const queueing =
    waiting !== undefined && waiting <= 0
      ? `The worker runs up to ${run.workerConcurrency} ${command} jobs at once, so at ${highest} in flight none waits for a`
      : `It never has more than ${run.workerConcurrency} jobs running (the worker's ${command} concurrency), so at ${highest} in flight ${waiting ?? 'the other'} requests wait in the queue, and`;
  return [
    `Under load the uncached gateway's rate is ${ratios.join(' and ')} in flight, relative to raw sharp.`,
    waiting !== undefined && waiting <= 0 ? `${queueing} slot; they share the cores instead, and` : queueing,
    `latency is what Little's law gives a closed loop, in flight / rate = ${highest} / ${figure(opsPerSecond, 1)} req/s`,
    `≈ ${figure((highest / opsPerSecond) * 1000, 0)} ms (p50 ${figure(p50Ms, 0)} ms); raw sharp meanwhile keeps every libuv`,
    'thread busy, and the gateway, worker, Redis and load generator all take their CPU from the same cores as the',
    'image work. The Concurrency tuning section measures what other worker concurrencies give.',
  ].join(' ');
}

/** ipx and `npm start`'s own platform, each level as a ratio to raw sharp measured in the same run. */
function againstPeers(cell: (path: ImagePath, level: number) => ImagePathCell | undefined, levels: readonly number[]): string {
  const ratios = (path: ImagePath, baseline: ImagePath) =>
    levels.flatMap((level) => {
      const [of, to] = [cell(path, level), cell(baseline, level)];
      return of && to ? [`${figure(of.result.opsPerSecond / to.result.opsPerSecond, 2)}× at ${level}`] : [];
    });
  const parts: string[] = [];
  const ipx = ratios('ipx', 'raw sharp');
  if (ipx.length) {
    parts.push(`ipx, the same sharp work behind its own HTTP server and file storage, runs at ${ipx.join(', ')} of raw sharp;`);
    parts.push(`the uncached gateway at ${ratios('gateway, uncached', 'ipx').join(', ')} of ipx.`);
  }
  const npmStart = ratios('npm start, uncached', 'raw sharp');
  if (npmStart.length) {
    parts.push(
      `With \`npm start\`'s own setup (two tiers sharing each worker's slots, the scaler starting the image pool's workers as the backlog grows) the uncached rate is ${npmStart.join(', ')} of raw sharp.`,
    );
  }
  return parts.join(' ');
}

/** A repeated fop URL costs no image work at all. */
function fromCache(run: SharpVsGatewayRun): string {
  const cached = run.cells.filter((c) => c.path === 'gateway, cached');
  if (cached.length === 0) return '';
  const best = cached.reduce((a, b) => (b.result.opsPerSecond > a.result.opsPerSecond ? b : a));
  const raw = run.cells.find((c) => c.path === 'raw sharp' && c.concurrency === best.concurrency);
  return [
    `From the result cache it answers ${figure(best.result.opsPerSecond, 0)} req/s at ${best.concurrency} in flight`,
    `(${figure(raw ? best.result.opsPerSecond / raw.result.opsPerSecond : Number.NaN, 0)}× raw sharp), p50`,
    `${figure(best.result.p50Ms, 1)} ms: after the access decision and the rate-limit count, one lookup in the gateway's`,
    `in-memory index and one write of the ${figure(run.resultBytes / KiB, 0)} KiB result it holds, no stat, no result-cache`,
    'lookup, no image work, which is what every repeat of a fop URL costs.',
  ].join(' ');
}
