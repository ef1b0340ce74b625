import {
  AsyncRun,
  BATCH_LEVELS,
  CHEAP_FOP,
  END_TO_END_JOBS,
  END_TO_END_WARMUP_JOBS,
  JOBS_PER_BATCH,
  SINGLE_LEVELS,
  SUBMIT_PLAN,
  SubmitPath,
  ThroughputRun,
  TINY_IMAGE,
} from './async.plan';
import type { MeasuredCell } from './support/cells';
import { machineFacts, machineSummary } from './support/machine';
import { Column, figure, figureColumns, markdownTable, wordColumns } from './support/markdown';
import { percentile } from './support/load';
import { closedLoopMethod, timeBoxText } from './support/method';
import { cellCounts, disturbanceNote, DISTURBED_OTHER_CORES, errorNotes } from './support/notes';

const SUBMIT_COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('Jobs per request', 'In flight', 'Requests', 'Errors', 'req/s', 'jobs/s', 'p50 ms', 'p99 ms', 'Other CPU'),
];

const THROUGHPUT_COLUMNS: readonly Column[] = [
  ...wordColumns('Path'),
  ...figureColumns('Jobs', 'Jobs at once', 'Submit s', 'Total s', 'jobs/s', 'Fopflow ÷ this', 'Job ms', 'Failed', 'Other CPU'),
];

/** The async section of BENCHMARKS.md: what was measured, how, where, the tables and a reading. */
export function asyncSection(run: AsyncRun): string {
  return [
    '## Async jobs: submission and end-to-end throughput',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- async\`) on: ${machineSummary(machineFacts())}.`,
    'How fast signed async jobs are accepted, and how many cheap jobs a worker gets through from first submit to last',
    'done, next to raw BullMQ on the same machine in the same run.',
    '',
    '### How it is measured',
    '',
    ...method(run),
    '',
    '### Submission, no worker running',
    '',
    markdownTable(SUBMIT_COLUMNS, [...run.submit.cells.map(submitRow), ...run.rawAdds.map(addRow)]),
    ...errorNotes(run.submit.cells),
    '',
    `At the end the queue held ${run.submit.pendingAtEnd} pending jobs, and ${run.submit.takenAtEnd} had been taken by anything.`,
    '',
    `### End to end: ${END_TO_END_JOBS} cheap jobs`,
    '',
    markdownTable(THROUGHPUT_COLUMNS, [run.fopflow, ...run.rawProcessing].map((row) => throughputRow(row, run.fopflow))),
    '',
    'CPU per job, in ms, of each process over the run (utime + stime from /proc; the bench process is the client and the',
    'count polling, and for raw BullMQ also the producer and the worker):',
    '',
    cpuTable([run.fopflow, ...run.rawProcessing]),
    '',
    '### What Fopflow does per job beyond BullMQ',
    '',
    ...PER_JOB_WORK,
    '',
    '### Reading',
    '',
    reading(run),
  ].join('\n');
}

function method(run: AsyncRun): string[] {
  const { workerConcurrency } = run;
  return [
    ...closedLoopMethod(
      timeBoxText(SUBMIT_PLAN),
      'req/s is accepted requests over that elapsed time and jobs/s the jobs they carried; p50 and p99 are nearest-rank latencies of the accepted requests.',
    ),
    '',
    '**(a) submission**: the built gateway and a private redis-server with *no worker at all*, so nothing takes the',
    'jobs and only their acceptance is measured. One tier and one paid access key; every request is signed as',
    "Qiniu's SDKs sign it (the v2 `Qiniu` signature with `X-Qiniu-Date`, by `generateAccessTokenV2` of the official `qiniu` npm package, computed per request",
    "in the bench process). A bench tiers file lifts the key's request rates and puts the tier's `maxBacklog` far",
    'above what the run queues, so no answer is a 429 or a 503. Each request is `POST /v1/jobs` with one job,',
    `\`{"source":{"bucket":"bench","key":"tiny.jpg"},"fops":["${CHEAP_FOP}"]}\`, at ${SINGLE_LEVELS.join(', ')} in flight, or`,
    `\`POST /v1/jobs/batch\` with ${JOBS_PER_BATCH} such jobs, at ${BATCH_LEVELS.join(' and ')} in flight; only a 202 counts. The backlog grows`,
    'through the cells (jobs are never taken), which costs Redis a little memory and no time: every count the',
    'gateway makes of it is O(1).',
    '',
    `**(b) Fopflow end to end**: a fresh platform with one worker consuming only \`${CHEAP_FOP}\`, ${workerConcurrency} jobs at once (config/concurrency.json:`,
    "the tuning benchmark's knee). Every job reads its own copy of a",
    `${TINY_IMAGE.width}×${TINY_IMAGE.height} JPEG (${run.sourceBytes} bytes; ${END_TO_END_WARMUP_JOBS + END_TO_END_JOBS} copies uploaded beforehand), because jobs of the same source and fop share`,
    'one result-cache entry and all but the first would skip the work. The job itself reads the header, no pixels.',
    `${END_TO_END_WARMUP_JOBS} untimed jobs first; then ${END_TO_END_JOBS} jobs are submitted in batches of ${JOBS_PER_BATCH}, one batch request at a time,`,
    "while the worker runs. The clock runs from the first batch sent until the queue's completed + failed count",
    '(read from Redis every 20 ms) has grown by all of them. *Submit s* is when the last batch was accepted; *Job ms*',
    "the worker's mean time per job, from `fopflow_job_duration_seconds`.",
    '',
    `**(c) raw BullMQ**: BullMQ itself in the bench process, on a redis-server of its own (the platform stopped by`,
    `then): \`queue.addBulk\` of ${END_TO_END_JOBS} no-op jobs (\`{ name: 'noop', data: { n } }\`, BullMQ's default options) in one`,
    `call and in calls of ${JOBS_PER_BATCH}; a Worker whose processor is \`async () => undefined\` draining ${END_TO_END_JOBS} jobs added`,
    `beforehand, at ${run.rawProcessing.filter((r) => r.submitS === undefined).map((r) => r.jobsAtOnce).join(', ')} jobs at once (from its start to its last \`completed\` event); and`,
    `(b)'s shape, batches of ${JOBS_PER_BATCH} added while a worker of ${workerConcurrency} runs. 2000 untimed jobs first. *Fopflow ÷ this*`,
    "is (b)'s jobs/s over the row's.",
  ];
}

/** Read from the code of the gateway and the worker, not from this run. */
const PER_JOB_WORK = [
  'A raw BullMQ job is an add (one Lua script), a move to active under a lock and a move to completed (one',
  "script each, the next job fetched in the same call), and events on the queue's stream. A Fopflow job is the",
  'same BullMQ job (with a job id, 2 attempts, a backoff and age-based retention) and around it:',
  '',
  '- **gateway, per request**: checks the v2 signature (HMAC-SHA1 of method, path, query, host, type and body) and its date, counts the request',
  "  against the key's rate limits (a Redis round trip: lifted here, still counted), reads and validates the JSON body;",
  '- **gateway, per job**: parses the fop and checks that a worker pool runs its command; checks that the key',
  "  may read the source bucket and write the result's (the bucket's metadata, kept a second); opens the source object for its size and etag; asks",
  "  the tier's backlog gate (queue counts, re-read at most every 500 ms); writes the job's status record (a",
  "  MULTI with the hash of meta and item, and the owner's and the open-jobs index, sent together); then, as the",
  '  jobs here have no `notifyUrl`, their fop jobs alone in one `addBulk` per request (a job with a webhook is a',
  '  flow instead, its notify job the parent of its items, in one FlowProducer transaction checked with one EXISTS);',
  '- **worker, per job**: marks the item *processing* in the status record (a Lua script); checks whether the',
  "  result's target object already exists (Qiniu's returnOld: a disk stat); looks the result up in the result",
  '  cache (Redis); leases the source from its local source cache (a copy of the object the first time); has',
  '  sharp read its header (the pixel limits are checked there) and writes the JSON; stores it as a new object at',
  '  `fop/<id>/0` in the source bucket (temp file, qetag, fsync, rename); then records the job counters and time',
  '  (Redis) and finishes the item (a Lua script). No work dir is made (the step runs in memory) and the result',
  '  is not copied into the result cache (an async result is its saved object).',
];

function submitRow(cell: MeasuredCell<SubmitPath>): string[] {
  const perRequest = cell.path === 'POST /v1/jobs' ? 1 : JOBS_PER_BATCH;
  const { result } = cell;
  const [inFlight, requests, errors] = cellCounts(cell);
  return [
    cell.path,
    String(perRequest),
    inFlight,
    requests,
    errors,
    figure(result.opsPerSecond, 1),
    figure(result.opsPerSecond * perRequest, 0),
    figure(result.p50Ms, 2),
    figure(result.p99Ms, 2),
    figure(result.otherCpuCores, 2),
  ];
}

function addRow(add: AsyncRun['rawAdds'][number]): string[] {
  const sorted = [...add.callMs].sort((a, b) => a - b);
  const calls = sorted.length;
  return [
    add.path,
    String(add.jobsPerCall),
    '1',
    String(calls),
    '0',
    figure(calls / add.seconds, 1),
    figure(add.jobs / add.seconds, 0),
    figure(percentile(sorted, 0.5), 2),
    figure(percentile(sorted, 0.99), 2),
    figure(add.otherCpuCores, 2),
  ];
}

/** CPU per job of each process, for the runs that timed it: where a job's cost goes. */
function cpuTable(runs: readonly ThroughputRun[]): string {
  const timed = runs.filter((run) => run.cpuMs);
  const names = [...new Set(timed.flatMap((run) => Object.keys(run.cpuMs!)))];
  const perJob = (run: ThroughputRun, name: string) => (run.cpuMs![name] === undefined ? Number.NaN : run.cpuMs![name] / run.jobs);
  const total = (run: ThroughputRun) => Object.values(run.cpuMs!).reduce((sum, ms) => sum + ms, 0) / run.jobs;
  const columns = [...wordColumns('Process'), ...figureColumns(...timed.map((run) => `${run.path} ×${run.jobsAtOnce}`))];
  const rows = [
    ...names.map((name) => [name, ...timed.map((run) => figure(perJob(run, name), 3))]),
    ['all of them', ...timed.map((run) => figure(total(run), 3))],
  ];
  return markdownTable(columns, rows);
}

function throughputRow(row: ThroughputRun, fopflow: ThroughputRun): string[] {
  const rate = row.jobs / row.totalS;
  return [
    row.path,
    String(row.jobs),
    String(row.jobsAtOnce),
    row.submitS === undefined ? '–' : figure(row.submitS, 2),
    figure(row.totalS, 2),
    figure(rate, 0),
    row === fopflow ? '1.00×' : `${figure(fopflow.jobs / fopflow.totalS / rate, 3)}×`,
    figure(row.meanJobMs ?? Number.NaN, 2),
    String(row.failed),
    figure(row.otherCpuCores, 2),
  ];
}

/** Read off the figures; the reasons given are those of the code paths. */
function reading(run: AsyncRun): string {
  const parts: string[] = [];
  const single = run.submit.cells.filter((c) => c.path === 'POST /v1/jobs');
  const batch = run.submit.cells.filter((c) => c.path === 'POST /v1/jobs/batch');
  const best = (cells: MeasuredCell<SubmitPath>[]) => cells.reduce((a, b) => (b.result.opsPerSecond > a.result.opsPerSecond ? b : a));
  const rawBatchAdd = run.rawAdds.find((add) => add.jobsPerCall === JOBS_PER_BATCH);
  if (single.length && batch.length) {
    const one = single[0];
    const topSingle = best(single);
    const topBatch = best(batch);
    const batchJobs = topBatch.result.opsPerSecond * JOBS_PER_BATCH;
    parts.push(
      `One job per request, one request at a time, the gateway accepts ${figure(one.result.opsPerSecond, 0)} jobs/s at p50`,
      `${figure(one.result.p50Ms, 2)} ms; the most it reached was ${figure(topSingle.result.opsPerSecond, 0)} jobs/s at ${topSingle.concurrency} in flight`,
      `(p99 ${figure(topSingle.result.p99Ms, 1)} ms). Each request pays for HTTP, the signature, the rate-limit round trip and`,
      `body parsing once per job, and the gateway is one Node process on a 2-core machine shared with Redis and the`,
      `load generator. In batches of ${JOBS_PER_BATCH} those costs are shared and the adds go in one flow transaction:`,
      `${figure(batchJobs, 0)} jobs/s at ${topBatch.concurrency} in flight (${figure(batchJobs / topSingle.result.opsPerSecond, 1)}× the best single-job rate),`,
      rawBatchAdd
        ? `${figure(batchJobs / (rawBatchAdd.jobs / rawBatchAdd.seconds), 2)}× what raw BullMQ adds in calls of ${JOBS_PER_BATCH} (${figure(rawBatchAdd.jobs / rawBatchAdd.seconds, 0)} jobs/s), whose per-job cost is one`
        : '',
      rawBatchAdd ? 'Redis script and no validation, record or disk at all.' : '',
    );
  }
  const fopflowRate = run.fopflow.jobs / run.fopflow.totalS;
  const sameShape = run.rawProcessing.find((r) => r.submitS !== undefined);
  const widest = run.rawProcessing.filter((r) => r.submitS === undefined).sort((a, b) => b.jobsAtOnce - a.jobsAtOnce)[0];
  const rateOf = (r: ThroughputRun) => r.jobs / r.totalS;
  const cpuPerJob = (r: ThroughputRun | undefined, name: string) => (r?.cpuMs?.[name] ?? Number.NaN) / (r?.jobs ?? Number.NaN);
  const job = run.fopflow.meanJobMs ?? Number.NaN;
  const ceiling = (run.fopflow.jobsAtOnce / job) * 1000;
  const workerMs = cpuPerJob(run.fopflow, 'worker');
  const totalCpuMs = Object.values(run.fopflow.cpuMs ?? {}).reduce((sum, ms) => sum + ms, 0) / run.fopflow.jobs;
  parts.push(
    `End to end, one worker running ${run.fopflow.jobsAtOnce} ${CHEAP_FOP} jobs at once gets through ${figure(fopflowRate, 0)} jobs/s,`,
    sameShape ? `${figure(fopflowRate / rateOf(sameShape), 3)}× raw BullMQ in the same shape (${figure(rateOf(sameShape), 0)} jobs/s)` : '',
    widest ? `and ${figure(fopflowRate / rateOf(widest), 3)}× a no-op worker at ${widest.jobsAtOnce} (${figure(rateOf(widest), 0)} jobs/s).` : '.',
    'That ratio is the work listed above, not BullMQ: per job the worker process used',
    `${figure(workerMs, 2)} ms of CPU, the gateway ${figure(cpuPerJob(run.fopflow, 'gateway'), 2)} ms and redis-server ${figure(cpuPerJob(run.fopflow, 'redis-server'), 2)} ms,`,
    sameShape
      ? `where raw BullMQ in the same shape needs ${figure(cpuPerJob(sameShape, 'bench process'), 3)} ms in its one process and ${figure(cpuPerJob(sameShape, 'redis-server'), 3)} ms in redis-server.`
      : '',
    `The worker kept ${figure((workerMs * fopflowRate) / 1000, 2)} cores busy (its libuv threads for disk and sharp included), all processes together`,
    `${figure((totalCpuMs * fopflowRate) / 1000, 2)} of the 2: the limit is the one worker, its ${run.fopflow.jobsAtOnce} jobs at once and its one event loop, not the machine.`,
    `It timed ${figure(job, 1)} ms per job itself, so ${run.fopflow.jobsAtOnce} at once could not pass ${figure(ceiling, 0)} jobs/s; the run reached ${figure((fopflowRate / ceiling) * 100, 0)} % of that,`,
    `the status events (processing, done, counters) being handled outside the timed part of each job, and the gateway taking`,
    `the batches on the same cores for the first ${figure(run.fopflow.submitS ?? Number.NaN, 2)} s of ${figure(run.fopflow.totalS, 2)} s. A no-op costs BullMQ`,
    sameShape ? `about ${figure((1000 / rateOf(sameShape)) * sameShape.jobsAtOnce, 2)} ms of wall time per job slot here,` : '',
    'a small part even of this cheap job; for the image and video work of the other sections it is noise.',
  );
  const disturbed = disturbanceNote(run.submit.cells);
  if (disturbed) parts.push(disturbed);
  const throughputs = [run.fopflow, ...run.rawProcessing];
  const worst = Math.max(...throughputs.map((r) => r.otherCpuCores));
  if (worst > DISTURBED_OTHER_CORES) {
    parts.push(`In the end-to-end runs other processes kept up to ${figure(worst, 2)} cores busy (column Other CPU): those rates are likely below what this machine gives when quiet.`);
  }
  return parts.filter(Boolean).join(' ');
}
