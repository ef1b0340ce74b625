import { Command, InvalidArgumentError } from 'commander';
import type { GatewayCall } from './fopctl';
import { table, wholeNumber } from './fopctl';

/** An async job as `GET /v1/jobs/<id>` answers it (Qiniu's prefop shape plus notify attempts). */
export interface JobView {
  id: string;
  code: number;
  desc: string;
  inputBucket: string;
  inputKey: string;
  pipeline: string;
  creationDate: string;
  items: Array<{ cmd: string; code: number; desc: string; error?: string; errorIndex?: number; key?: string; hash?: string; returnOld?: number; progress?: number }>;
  notify?: { url: string; state: string; attempts: Array<{ at: number; outcome: string; status?: number; error?: string }> };
}

/** Qiniu's task codes by name, as fopctl prints them and `list --code` takes them. */
export const JOB_STATES = ['done', 'waiting', 'processing', 'failed', 'callback-failed'] as const;

/** How often `wait` asks for a job's status, ms (default of --interval). */
export const WAIT_POLL_INTERVAL_MS = 500;

/** Width of the progress bar `wait` draws, characters. */
const PROGRESS_BAR_WIDTH = 30;

/** Where a command's answer goes: a table for people, or with --json the gateway's JSON as is. */
interface JsonFlag {
  json?: boolean;
}

/** True once the job can change no more: done, failed, or its callback failed. */
export const jobEnded = (job: Pick<JobView, 'code'>) => job.code === 0 || job.code === 3 || job.code === 4;

/** 0–100: finished items count whole, a processing item by its reported progress. */
export function jobPercent(job: Pick<JobView, 'items'>): number {
  if (job.items.length === 0) return 0;
  const sum = job.items.reduce((total, item) => total + (item.code === 0 || item.code === 3 || item.code === 4 ? 100 : item.code === 2 ? (item.progress ?? 0) : 0), 0);
  return Math.round(sum / job.items.length);
}

/** One line such as `[##########----------]  50%  1/2 done  processing`. */
export function progressLine(job: Pick<JobView, 'items' | 'code'>, width = PROGRESS_BAR_WIDTH): string {
  const percent = jobPercent(job);
  const filled = Math.round((percent / 100) * width);
  const done = job.items.filter((item) => item.code === 0).length;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${done}/${job.items.length} done  ${stateName(job.code)}`;
}

/** The name of a Qiniu task code (`done`, `waiting`, ...). */
export const stateName = (code: number) => JOB_STATES[code] ?? `code ${code}`;

/** `--code` accepts a state name or its number. */
function jobCode(value: string): number {
  const byName = JOB_STATES.indexOf(value as (typeof JOB_STATES)[number]);
  if (byName >= 0) return byName;
  if (/^[0-4]$/.test(value)) return Number(value);
  throw new InvalidArgumentError(`one of ${JOB_STATES.join(', ')} (or 0-4)`);
}

/** `<bucket>/<key>` or an http(s) URL, as POST /v1/jobs takes its source. */
function jobSource(text: string): { bucket: string; key: string } | { url: string } {
  if (/^https?:\/\//i.test(text)) return { url: text };
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) throw new InvalidArgumentError(`source '${text}' is <bucket>/<key> or an http(s) URL`);
  return { bucket: text.slice(0, slash), key: text.slice(slash + 1) };
}

/** A job's status for people: a header and one row per fop. */
export function describeJob(job: JobView): string {
  const lines = [
    `job:     ${job.id}`,
    `state:   ${stateName(job.code)} (${job.desc})`,
    `source:  ${job.inputBucket}/${job.inputKey}`,
    `created: ${job.creationDate}`,
  ];
  if (job.notify) {
    const attempts = job.notify.attempts.map((attempt) => `${attempt.outcome}${attempt.status ? ` ${attempt.status}` : ''}`).join(', ');
    lines.push(`webhook: ${job.notify.url} ${job.notify.state}${attempts ? ` (${attempts})` : ''}`);
  }
  lines.push(
    '',
    table(
      ['#', 'FOP', 'STATE', 'PROGRESS', 'RESULT', 'ERROR'],
      job.items.map((item, index) => [
        index,
        item.cmd,
        stateName(item.code),
        item.progress !== undefined && item.code === 2 ? `${item.progress}%` : item.code === 0 ? '100%' : '-',
        item.key ?? '-',
        item.error ?? '',
      ]),
    ),
  );
  return lines.join('\n');
}

/** Hooks the job commands use besides the gateway call: output, progress, clock. */
export interface JobCommandIo {
  print: (text: string) => void;
  /** Where `wait` draws its bar (a terminal's stderr); each call replaces the previous line. */
  progress: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
}

/**
 * `fopctl jobs submit | status | wait | cancel | list`: the native async API, signed with the
 * caller's access key. Every command takes --json and then prints the gateway's answer as is.
 */
export function addJobCommands(program: Command, call: GatewayCall, io: JobCommandIo): void {
  const jobs = program.command('jobs').description('async jobs: submit fops on a stored object or URL and follow them');
  const output = (json: boolean | undefined, value: unknown, text: () => string) => io.print(json ? JSON.stringify(value, null, 2) : text());

  /** Polls until the job ends; draws the bar unless --json; fails (exit 1) when the job failed. */
  const waitFor = async (id: string, { json, interval, timeout }: JsonFlag & { interval: number; timeout?: number }) => {
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout * 1000;
    let last = '';
    for (;;) {
      const job = (await call('GET', `/v1/jobs/${encodeURIComponent(id)}`)) as JobView;
      const line = progressLine(job);
      if (!json && line !== last) io.progress(line);
      last = line;
      if (jobEnded(job)) {
        output(json, job, () => describeJob(job));
        if (job.code !== 0) throw new Error(`job ${id} ${stateName(job.code)}${firstError(job)}`);
        return job;
      }
      if (Date.now() >= deadline) throw new Error(`job ${id} still ${stateName(job.code)} after ${timeout} s (--timeout)`);
      await io.sleep(interval);
    }
  };

  const waitOptions = (command: Command) =>
    command
      .option('--interval <ms>', 'how often to ask for the status', wholeNumber, WAIT_POLL_INTERVAL_MS)
      .option('--timeout <s>', 'give up (exit 1) after this many seconds', wholeNumber);

  waitOptions(
    jobs
      .command('submit <source> <fops...>')
      .description('queue fops on <bucket>/<key> (or an http(s) URL); each fop may end in |saveas/...')
      .option('--notify-url <url>', 'webhook called when the job ends')
      .option('--pipeline <name>', 'queue pipeline (a private one is its own tier)')
      .option('--force', 'make results again even where they exist')
      .option('--idempotency-key <key>', 'a repeat with the same key answers the first job')
      .option('-w, --wait', 'then wait for the job with a progress bar')
      .option('--json', 'print JSON'),
  ).action(async (source: string, fops: string[], options: JsonFlag & { notifyUrl?: string; pipeline?: string; force?: boolean; idempotencyKey?: string; wait?: boolean; interval: number; timeout?: number }) => {
    const body = {
      source: jobSource(source),
      fops,
      ...(options.notifyUrl && { notifyUrl: options.notifyUrl }),
      ...(options.pipeline && { pipeline: options.pipeline }),
      ...(options.force && { force: true }),
    };
    const headers = options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : undefined;
    const { id } = (await call('POST', '/v1/jobs', body, undefined, headers)) as { id: string };
    if (!options.wait) return output(options.json, { id }, () => id);
    if (!options.json) io.print(`job ${id} queued`);
    await waitFor(id, options);
  });

  jobs
    .command('status <id>')
    .description("a job's state, each fop's result or error, and its webhook attempts")
    .option('--json', 'print JSON')
    .action(async (id: string, { json }: JsonFlag) => {
      const job = (await call('GET', `/v1/jobs/${encodeURIComponent(id)}`)) as JobView;
      output(json, job, () => describeJob(job));
    });

  waitOptions(jobs.command('wait <id>').description('follow a job with a progress bar until it ends; exit 1 if it failed').option('--json', 'print the final status as JSON')).action(
    async (id: string, options: JsonFlag & { interval: number; timeout?: number }) => {
      await waitFor(id, options);
    },
  );

  jobs
    .command('cancel <id>')
    .description('cancel what of a job has not ended: waiting fops are dropped, running ones stopped')
    .option('--json', 'print JSON')
    .action(async (id: string, { json }: JsonFlag) => {
      const job = (await call('DELETE', `/v1/jobs/${encodeURIComponent(id)}`)) as JobView;
      output(json, job, () => `job ${id}: cancel requested, now ${stateName(job.code)}`);
    });

  jobs
    .command('list')
    .description('your jobs, newest first')
    .option('-n, --limit <n>', 'how many (1-200)', wholeNumber, 50)
    .option('--code <state>', `only jobs in this state: ${JOB_STATES.join(', ')}`, jobCode)
    .option('--before <ms>', 'only jobs created before this time (ms since epoch; the nextBefore of a previous page)', wholeNumber)
    .option('--json', 'print JSON')
    .action(async ({ json, limit, code, before }: JsonFlag & { limit: number; code?: number; before?: number }) => {
      const query = new URLSearchParams({ limit: String(limit), ...(code !== undefined && { code: String(code) }), ...(before !== undefined && { before: String(before) }) });
      const answer = (await call('GET', `/v1/jobs?${query}`)) as { items: JobView[]; nextBefore?: number };
      output(json, answer, () =>
        [
          table(
            ['ID', 'STATE', 'PROGRESS', 'SOURCE', 'FOPS', 'CREATED'],
            answer.items.map((job) => [job.id, stateName(job.code), `${jobPercent(job)}%`, `${job.inputBucket}/${job.inputKey}`, job.items.length, job.creationDate]),
          ),
          ...(answer.nextBefore !== undefined ? [`(more: fopctl jobs list --before ${answer.nextBefore})`] : []),
        ].join('\n'),
      );
    });
}

/** `: <error of the first failed fop>`, or nothing. */
function firstError(job: JobView): string {
  const failed = job.items.find((item) => item.error);
  return failed ? `: fop ${job.items.indexOf(failed)} (${failed.cmd}): ${failed.error}` : '';
}
