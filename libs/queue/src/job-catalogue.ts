import type { JobsOptions } from 'bullmq';
import { fopQueueName, NOTIFY_QUEUE, UFOP_BUILD_QUEUE } from './names';
import type { FopJobData, NotifyJobData, UfopBuildJobData } from './payloads';
import { finishedJobRetention } from './retention';

/**
 * Every kind of job Fopflow runs, with its payload. Adding a kind is adding a member here and an
 * entry to `jobCatalogue`; the `satisfies` check fails until both agree, and every consumer's
 * start-up check fails until one handler takes it.
 */
export interface JobPayloads {
  /** One fop pipeline (or what is left of it after a hand-off), sync or an async job's item. */
  fop: FopJobData;
  /** Delivery of an ended async job's webhook. */
  notify: NotifyJobData;
  /** An uploaded UFOP tarball to build into an image. */
  ufopBuild: UfopBuildJobData;
}

/** The name of a kind of job. */
export type JobName = keyof JobPayloads;

/** The payload of jobs of kind `N`. */
export type JobOf<N extends JobName> = JobPayloads[N];

/** Settings the default options of every kind are made from (FOPFLOW_* configuration). */
export interface JobSettings {
  /** How long a finished fop job stays in its queue, in s (FOPFLOW_JOB_RETENTION_S). */
  jobRetentionS: number;
  /** Most finished jobs each queue keeps per outcome, whatever their age (FOPFLOW_JOB_RETENTION_COUNT). */
  jobRetentionCount: number;
  /** How long an async job's record (and its webhook job) is kept, in s (FOPFLOW_STATUS_RETENTION_S). */
  statusRetentionS: number;
  /** Deliveries of a webhook before it is given up: one per entry of FOPFLOW_WEBHOOK_RETRY_S. */
  webhookAttempts: number;
}

/** How long a finished build stays visible in its queue, in s: builds are rare and their logs matter for days. */
export const UFOP_BUILD_RETENTION_S = 7 * 24 * 3600;

/** One kind of job: where it is queued, what Bull Board calls it and how BullMQ treats it. */
export interface JobKindSpec<Data> {
  /** One line for readers of the catalogue and of start-up errors. */
  summary: string;
  /** The queue a job of this kind goes to. */
  queueOf(data: Data): string;
  /** The job's name as Bull Board shows it. */
  labelOf(data: Data): string;
  /** Attempts, backoff and retention, from the settings; the dispatcher adds the job id. */
  options(settings: JobSettings): JobsOptions;
}

const catalogue = {
  fop: {
    summary: 'runs a fop pipeline on a source and keeps the result in the result cache (and at its saveas target)',
    queueOf: (data) => fopQueueName(firstCommand(data.pipeline), data.tier),
    labelOf: (data) => data.pipeline,
    options: (settings) => ({
      // One retry for failures no input explains (a worker crash, a stall); 4xx failures are
      // thrown as unrecoverable by the worker and never retried.
      attempts: 2,
      backoff: { type: 'exponential', delay: 1000 },
      ...finishedJobRetention(settings.jobRetentionS, settings.jobRetentionCount),
    }),
  },
  notify: {
    summary: "delivers an ended async job's webhook, retried on the webhook schedule",
    queueOf: () => NOTIFY_QUEUE,
    labelOf: () => 'notify',
    options: (settings) => ({
      attempts: settings.webhookAttempts,
      backoff: { type: 'webhook' },
      ...finishedJobRetention(settings.statusRetentionS, settings.jobRetentionCount),
    }),
  },
  ufopBuild: {
    summary: "builds an uploaded UFOP version into an image and pushes it to the registry",
    queueOf: () => UFOP_BUILD_QUEUE,
    labelOf: (data) => `${data.name}:${data.version}`,
    options: (settings) => finishedJobRetention(UFOP_BUILD_RETENTION_S, settings.jobRetentionCount),
  },
} satisfies { [N in JobName]: JobKindSpec<JobOf<N>> };

/** The job catalogue: each kind of job, its queue, its name and its default options. */
export const jobCatalogue: { readonly [N in JobName]: JobKindSpec<JobOf<N>> } = Object.freeze(catalogue);

/** Every kind of job, in catalogue order. */
export function jobNames(): JobName[] {
  return Object.keys(jobCatalogue) as JobName[];
}

/** The kind of the jobs in `queue`: `fop.<command>.<tier>` queues hold fop jobs. */
export function jobNameOfQueue(queue: string): JobName | undefined {
  if (queue === NOTIFY_QUEUE) return 'notify';
  if (queue === UFOP_BUILD_QUEUE) return 'ufopBuild';
  return queue.startsWith('fop.') ? 'fop' : undefined;
}

/** The command of a pipeline's first step: the text before its first '/' or '|'. */
function firstCommand(pipeline: string): string {
  return /^[^/|]*/.exec(pipeline)![0];
}
