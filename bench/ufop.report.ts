import { availableParallelism } from 'node:os';
import { HEALTH_POLL_MS } from '@fopflow/ufop';
import { dockerEngineVersion } from './scaler.runtimes';
import {
  baselineOf,
  CACHED_PLAN,
  CELL_PLAN,
  COLD_START_TRIALS,
  ColdStart,
  CpuPart,
  CpuPerRequest,
  FLAVOR,
  INSTANCE_POLL_MS,
  PART_REPEATS,
  SANDBOX_LIMITS,
  SEPIA_FOP,
  SOURCE,
  SOURCE_COPIES,
  UFOP_NAME,
  UfopPath,
  UfopRun,
  WARMUP_OPS,
} from './ufop.plan';
import { percentile } from './support/load';
import { machineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';
import { closedLoopMethod } from './support/method';
import { disturbanceNote, errorNotes, rateOf } from './support/notes';
import { PLATFORM_SETUP } from './support/platform';
import { LATENCY_FIGURES, latencyColumns, latencyRow } from './support/sharp-vs-gateway.table';

const KiB = 1024;
const MiB = 1024 * 1024;
/** How far from half of the programs' CPU an instance's share may be for the jobs to count as evenly spread. */
const EVEN_SHARE_TOLERANCE = 0.1;
/** How close, as a fraction of the program's time, a job's mean must be to it to be read as the same. */
const JOB_WITHIN_PROGRAM_FRACTION = 0.05;

/** The parts of the CPU table, in column order. */
const CPU_PARTS: readonly CpuPart[] = ['programs', 'forwarders', 'workers', 'gateway', 'redis'];

const CPU_COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('program ms', 'forwarder ms', 'worker ms', 'gateway ms', 'Redis ms', 'total ms', 'ceiling req/s'),
];

const COLD_START_COLUMNS: readonly Column[] = [
  ...wordColumns('Trial'),
  ...figureColumns('resize → ready ms', 'worker process up ms', 'sandbox containers ms', 'health + warm-up ms', 'rest ms'),
];

/** The UFOP section of BENCHMARKS.md: what was measured, how, where, the tables and a reading. */
export function ufopSection(run: UfopRun): string {
  const engine = dockerEngineVersion() ?? 'unknown';
  return [
    `## Custom command (UFOP): ~1 MP JPEG → sepia, \`${SEPIA_FOP}\``,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- ufop\`) on: ${machineSummary(machineFacts())}; Docker Engine ${engine}.`,
    `The program is the example UFOP libs/ufop/examples/sepia-node (node answers the container contract; ffmpeg decodes the`,
    'source, applies `colorchannelmixer` and encodes a JPEG). The platform builds it from that directory, as `fopctl build`',
    `would, into \`${run.image}\` (register to built and pushed: ${figure(run.buildS, 1)} s this run; that depends on what the engine's`,
    "layer cache and the registry already hold, so it is not a figure to compare). Its flavor is " + `${FLAVOR}: every sandbox, the platform's and the bench's, has`,
    `${SANDBOX_LIMITS.cpus} CPU, ${SANDBOX_LIMITS.memoryBytes / MiB} MiB, ${SANDBOX_LIMITS.pidsLimit} processes and a ${SANDBOX_LIMITS.tmpfsBytes / MiB} MiB /tmp. The source is a ${SOURCE.width}×${SOURCE.height} photo-like JPEG`,
    `(q ${SOURCE.quality}, ${figure(run.sourceBytes / KiB, 0)} KiB; a gradient under grain, made by the bench); the result is ${figure(run.resultBytes / KiB, 0)} KiB.`,
    `The command is registered as \`${UFOP_NAME}\`, a name no other suite uses: the end-to-end suite removes the sandboxes of`,
    '`my-sepia` when it ends, and the program answers to whatever name it is registered under.',
    '',
    '### How it is measured',
    '',
    ...closedLoopMethod(
      `${WARMUP_OPS} untimed requests, then ${CELL_PLAN.durationMs / 1000} s measured (or ${CELL_PLAN.maxOps} requests, whichever comes first; the cached cells ${CACHED_PLAN.durationMs / 1000} s)`,
      LATENCY_FIGURES,
    ),
    '',
    "**Program alone**: the sandboxes the bench starts itself with `UfopSandbox.start`, from the platform's image and with the",
    "quotas of the platform's sandboxes: a port container with no network owning a Unix socket, and the program's container",
    'in its network namespace. Each request is `sandbox.handle()` from the bench process: the source file is streamed',
    '`POST /handler?cmd=' + `${SEPIA_FOP}` + '` over the socket, through the forwarder to the program on port 9100, and the answer',
    "written to a file: exactly what an instance's worker does for a job's step, without the job. With 2 sandboxes each",
    'request goes to the one with fewer in flight, so 2 slots keep one request on each. The denominator of *× program',
    "alone*: the row with as many sandboxes as the Fopflow row has instances (the cached rows: as many as requests in flight).",
    `Alongside, two parts of a request are timed alone, ${PART_REPEATS} times one after another: the hop (\`GET /health\` through a`,
    "sandbox's socket and forwarder, a new connection each time, as every request makes one) and the copy (a fresh work",
    "dir, the source streamed into it as a worker fetches a job's source from the bucket, the dir removed).",
    '',
    "**Fopflow uncached**: the built gateway and a private redis-server, with " + `${PLATFORM_SETUP},`,
    'and the built scaler on the process runtime (every built-in pool at 0 instances). The command is registered, built and',
    'resized through `/v1/ufops`, signed by its owner, as fopctl does; each instance is a worker process that starts its',
    `sandbox and runs ${UFOP_NAME} ${run.instanceConcurrency === '1' ? 'one job at a time (as every UFOP instance does)' : `×${run.instanceConcurrency} jobs at once`}. Every request is`,
    `\`GET /bench/<key>?${SEPIA_FOP}\` on one of ${SOURCE_COPIES} copies of the source uploaded under different keys: the result key`,
    "holds bucket and key, so each request is a new one and runs a real job. The gateway stats the source, misses the",
    "cache and enqueues; the worker copies the source from the bucket into the job's work dir, streams it through the",
    "socket to the program, stores the answer in the result cache; the gateway, woken by the queue's events, streams it.",
    'Only a 200 with `X-Fop-Cache: MISS` counts. *Job ms* is the mean time the instances spent per job in the cell',
    "(`fopflow_job_duration_seconds`), from picking the job up to its result in the cache; the rest of the latency is",
    "HTTP and the queue. Measured on 1 instance (`resize -n 1`), then on 2.",
    '',
    '**Fopflow cached**: the same platform, the same URL (the source under its own key) after one request that made',
    'the result; only a 200 with `X-Fop-Cache: HIT` counts. No instance is involved.',
    '',
    `**Cold start**: \`resize -n 1\` from 0 instances until \`GET /v1/ufops/${UFOP_NAME}\` lists a ready instance (read every`,
    `${INSTANCE_POLL_MS} ms), ${COLD_START_TRIALS} times; each trial starts once the previous instance, its worker and its sandbox are gone.`,
    "*Worker process up* is when the instance recorded its start: the scaler acts on its next tick (every",
    `${run.scalerTickMs} ms) and starts a worker process, which loads; *sandbox containers* is the worker's \`UfopSandbox.start\` (creating and starting both`,
    `containers), *health + warm-up* the rest of its logged warm-up (the program answering \`GET /health\`, polled every ${HEALTH_POLL_MS} ms); *rest* is`,
    "the worker's other start-up work, its ready heartbeat and the poll.",
    '',
    'Order: the cold starts; then program alone and Fopflow uncached in turn, 1 instance at 1 and 2 in flight, 2',
    'instances at 2; then the cached rows. While one path is measured the other sits idle.',
    '',
    '### Results',
    '',
    markdownTable(
      latencyColumns('program alone'),
      run.cells.map((cell) => latencyRow(cell, rateOf(run.cells, baselineOf(cell.path, cell.concurrency), cell.concurrency))),
    ),
    ...errorNotes(run.cells),
    '',
    '### Where the CPU went, 2 in flight on 2 sandboxes',
    '',
    'CPU ms per request over the cell (its warm-up included), from /proc: each sandbox\'s program (node and its ended',
    "ffmpeg runs) and forwarder, each instance's worker, the gateway and Redis. The bench's own client is in neither row.",
    `*Ceiling* is the rate at which that CPU per request would keep all ${availableParallelism()} cores busy.`,
    '',
    markdownTable(CPU_COLUMNS, [cpuRow('program alone, 2 sandboxes', run.twoSandboxesCpu), cpuRow('Fopflow uncached, 2 instances', run.twoInstancesCpu)]),
    '',
    '### Cold start: `resize -n 1` to a ready instance',
    '',
    markdownTable(COLD_START_COLUMNS, coldStartRows(run.coldStarts)),
    '',
    '### Reading',
    '',
    reading(run),
  ].join('\n');
}

/** The total CPU ms of one request, and the rate at which it would fill every core of the machine. */
function cpuTotals(cpu: CpuPerRequest): { totalMs: number; ceilingPerS: number } {
  const totalMs = CPU_PARTS.reduce((sum, part) => sum + (cpu[part] ?? 0), 0);
  return { totalMs, ceilingPerS: (availableParallelism() * 1000) / totalMs };
}

function cpuRow(path: UfopPath, cpu: CpuPerRequest): string[] {
  const { totalMs, ceilingPerS } = cpuTotals(cpu);
  return [path, ...CPU_PARTS.map((part) => (cpu[part] === undefined ? '–' : figure(cpu[part], 1))), figure(totalMs, 1), figure(ceilingPerS, 1)];
}

/** Parts of a cold start, each in ms; NaN where the worker's log did not say. */
function coldStartParts(start: ColdStart): number[] {
  const warming = start.warmingMs ?? Number.NaN;
  const sandbox = start.sandboxMs ?? Number.NaN;
  return [start.totalMs, start.processMs, sandbox, warming - sandbox, start.totalMs - start.processMs - warming];
}

function coldStartRows(starts: readonly ColdStart[]): string[][] {
  const parts = starts.map(coldStartParts);
  const medians = parts[0].map((_, column) => median(parts.map((each) => each[column])));
  return [...parts.map((each, index) => [String(index + 1), ...each.map((ms) => figure(ms))]), ['median', ...medians.map((ms) => figure(ms))]];
}

function median(values: readonly number[]): number {
  const known = values.filter(Number.isFinite).sort((a, b) => a - b);
  return percentile(known, 0.5);
}

/**
 * The job's mean against the program alone's, measured in another cell: what the job adds around
 * the program is a few ms, about what separates two cells, so the sentence says which it shows.
 */
function jobAgainstProgram(jobMs: number, programMs: number, copyMs: number): string {
  const around = `copying the source into its work dir (${figure(copyMs, 2)} ms timed alone), renaming the answer into the result cache and a few Redis calls`;
  const gap = jobMs - programMs;
  if (Math.abs(gap) <= JOB_WITHIN_PROGRAM_FRACTION * programMs) {
    return `The job itself (${figure(jobMs, 1)} ms) is within a few ms of the program alone (mean ${figure(programMs, 1)} ms, another cell): what it does around the program, ${around}, is no more than what separates two 10 s cells on this machine.`;
  }
  if (gap > 0) {
    return `The job itself takes ${figure(gap, 1)} ms more than the program alone (${figure(jobMs, 1)} against ${figure(programMs, 1)} ms, another cell): ${around}, and whatever separates two 10 s cells on this machine.`;
  }
  return `The job itself took ${figure(-gap, 1)} ms less than the program alone (${figure(jobMs, 1)} against ${figure(programMs, 1)} ms, another cell): what separates two 10 s cells on this machine outweighs what the job does around the program, ${around}.`;
}

/** Read off the figures; the reasons given are those of the code paths. */
function reading(run: UfopRun): string {
  const cell = (path: UfopPath, level: number) => run.cells.find((c) => c.path === path && c.concurrency === level);
  const alone1 = cell('program alone, 1 sandbox', 1);
  const alone1x2 = cell('program alone, 1 sandbox', 2);
  const alone2 = cell('program alone, 2 sandboxes', 2);
  const fopflow1 = cell('Fopflow uncached, 1 instance', 1);
  const fopflow1x2 = cell('Fopflow uncached, 1 instance', 2);
  const fopflow2 = cell('Fopflow uncached, 2 instances', 2);
  const cached1 = cell('Fopflow cached', 1);
  const parts: string[] = [];
  if (alone1 && fopflow1) {
    const job = fopflow1.meanJobMs ?? Number.NaN;
    const program = alone1.result.meanMs;
    const mean = fopflow1.result.meanMs;
    parts.push(
      `One request at a time, the program alone answers in ${figure(alone1.result.p50Ms, 1)} ms (p50) and a fop URL through Fopflow in`,
      `${figure(fopflow1.result.p50Ms, 1)} ms: ${figure(fopflow1.result.opsPerSecond / alone1.result.opsPerSecond, 2)}× the program's rate. The hop over the Unix socket and the forwarder is in`,
      `both paths, and small on its own: ${figure(run.hop.p50Ms, 2)} ms (p50, p99 ${figure(run.hop.p99Ms, 2)}) before any bytes move. In the Fopflow cell, a request took`,
      `${figure(mean, 1)} ms on average and its job ${figure(job, 1)} ms, so ${figure(mean - job, 1)} ms were outside the job: the gateway's HTTP, its stat of the`,
      'source and cache lookup, the queue round trip (enqueue, an instance picking the job up, the completion event back',
      'to the gateway) and streaming the result from the cache.',
      jobAgainstProgram(job, program, run.workDirCopy.p50Ms),
    );
  }
  if (alone1 && alone1x2 && fopflow1x2) {
    parts.push(
      `Two at a time on one sandbox, the program alone delivers ${figure(alone1x2.result.opsPerSecond / alone1.result.opsPerSecond, 2)}× its rate at one,`,
      `and Fopflow on one instance (${run.instanceConcurrency === '1' ? 'one job at a time' : `${run.instanceConcurrency} jobs at once`}) ${figure(fopflow1x2.result.opsPerSecond / (fopflow1?.result.opsPerSecond ?? Number.NaN), 2)}×:`,
      `the sandbox's ${SANDBOX_LIMITS.cpus}-CPU quota is the limit (at the program's ${figure(run.twoSandboxesCpu.programs ?? Number.NaN, 1)} ms of CPU per request, from the CPU table, it allows`,
      `at most ${figure((SANDBOX_LIMITS.cpus * 1000) / (run.twoSandboxesCpu.programs ?? Number.NaN), 1)} req/s), so a second request in flight mostly waits its turn (p50`,
      `${figure(alone1.result.p50Ms, 1)} → ${figure(alone1x2.result.p50Ms, 1)} ms alone, ${figure(fopflow1?.result.p50Ms ?? Number.NaN, 1)} → ${figure(fopflow1x2.result.p50Ms, 1)} ms through Fopflow).`,
    );
  }
  if (alone2 && fopflow2) {
    const shares = run.instanceShares.map((share) => `${figure(share * 100, 0)} %`).join(' and ');
    const even = run.instanceShares.every((share) => Math.abs(share - 0.5) <= EVEN_SHARE_TOLERANCE);
    const alone = cpuTotals(run.twoSandboxesCpu);
    const fopflow = cpuTotals(run.twoInstancesCpu);
    const cores = availableParallelism();
    const platformMs = (['workers', 'gateway', 'redis'] as const).reduce((sum, part) => sum + (run.twoInstancesCpu[part] ?? 0), 0);
    parts.push(
      `With 2 instances and 2 requests in flight Fopflow delivers ${figure(fopflow2.result.opsPerSecond, 1)} req/s, ${figure(fopflow2.result.opsPerSecond / alone2.result.opsPerSecond, 2)}× the program`,
      `alone on 2 sandboxes (p50 ${figure(alone2.result.p50Ms, 1)} → ${figure(fopflow2.result.p50Ms, 1)} ms).`,
      2 * SANDBOX_LIMITS.cpus >= cores
        ? "Here the two sandboxes' quotas add up to every core of the machine, so the platform's own work is no longer free:"
        : "The two sandboxes' quotas leave cores to spare, yet the platform's own work shares them:",
      `a request costs ${figure(fopflow.totalMs, 1)} ms of CPU through Fopflow against ${figure(alone.totalMs, 1)} ms alone,`,
      `${figure(platformMs, 1)} ms of it in the worker, the gateway and Redis, and the program itself ${figure(run.twoInstancesCpu.programs ?? Number.NaN, 1)} ms against ${figure(run.twoSandboxesCpu.programs ?? Number.NaN, 1)} alone.`,
      `At that cost ${cores} cores could serve at most ${figure(fopflow.ceilingPerS, 1)} req/s (alone ${figure(alone.ceilingPerS, 1)}); the cell reached`,
      `${figure((100 * fopflow2.result.opsPerSecond) / fopflow.ceilingPerS, 0)} % of that (alone ${figure((100 * alone2.result.opsPerSecond) / alone.ceilingPerS, 0)} %).`,
      `The two instances' programs used ${shares} of the programs' CPU in that cell${even ? ': the jobs spread roughly evenly.' : '.'}`,
      even
        ? ''
        : `Each instance takes up to ${run.instanceConcurrency} jobs and the queue gives a job to whichever worker asks first, so at times both requests run on one instance, whose sandbox has 1 CPU, while the other idles; the program alone never does that (one request per sandbox).`,
    );
  }
  if (cached1 && alone1) {
    parts.push(
      `A cached result comes back in ${figure(cached1.result.p50Ms, 1)} ms (p50, one at a time; ${figure(cached1.result.opsPerSecond / alone1.result.opsPerSecond, 1)}× the program's rate):`,
      'a Redis lookup and a file streamed from the result cache, with no instance and no program involved.',
    );
  }
  const starts = run.coldStarts.map(coldStartParts);
  if (starts.length) {
    const [total, process, sandbox, health] = [0, 1, 2, 3].map((column) => median(starts.map((each) => each[column])));
    parts.push(
      `From \`resize -n 1\` to a ready instance takes ${figure(total / 1000, 2)} s (median of ${starts.length}). ${figure(process / 1000, 2)} s of it pass before the`,
      `worker process has loaded: up to one scaler tick (${run.scalerTickMs} ms) before the scaler acts, then the worker process starting and loading its code.`,
      `Starting the sandbox's two containers takes ${figure(sandbox, 0)} ms, and the program answering \`GET /health\` (with the warm-up) ${figure(health, 0)} ms more.`,
    );
  }
  const disturbed = disturbanceNote(run.cells);
  if (disturbed) parts.push(disturbed);
  return parts.filter(Boolean).join(' ');
}
