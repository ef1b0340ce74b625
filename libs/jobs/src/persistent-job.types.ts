import type { RenditionProgress } from '@fopflow/fop';

/** Qiniu's task codes, used for a job and for each of its items. */
export const JobCode = {
  Done: 0,
  Waiting: 1,
  Processing: 2,
  Failed: 3,
  CallbackFailed: 4,
} as const;
export type JobCode = (typeof JobCode)[keyof typeof JobCode];

/** Qiniu's descriptions of the codes, as its prefop answers them. */
export const JOB_CODE_DESC: Record<JobCode, string> = {
  0: 'The fop was completed successfully',
  1: 'The fop is waiting for execution',
  2: 'The fop is executing now',
  3: 'The fop is failed',
  4: 'Callback failed',
};

/** How the job was submitted: it decides the webhook's signature. */
export type JobKind = 'native' | 'pfop';

/** What is fixed when an async job is submitted. */
export interface PersistentJobMeta {
  id: string;
  kind: JobKind;
  /** Access key of the submitter. */
  owner: string;
  /** Queue tier its items run in: the owner's tier or a private pipeline. */
  queueTier: string;
  inputBucket: string;
  inputKey: string;
  /** The pipeline name as given (`0.default` when none). */
  pipeline: string;
  fops: string[];
  notifyUrl?: string;
  /**
   * The queue of each item's job (a pipeline crossing pools: its last segment's), for a job
   * without a webhook: it has no flow parent to lead to its items.
   */
  itemQueues?: string[];
  force: boolean;
  type?: string;
  /** ms since epoch. */
  createdAt: number;
  reqid: string;
}

/** One fop of a job, in Qiniu's prefop item shape (plus progress, and an adapt's renditions). */
export interface JobItem {
  cmd: string;
  code: JobCode;
  desc: string;
  error?: string;
  /** Index of the failed step within this fop's pipeline. */
  errorIndex?: number;
  /** Etag of the stored result. */
  hash?: string;
  /** Key of the stored result. */
  key?: string;
  /** 1 when the result existed already and was not made again (no `force`). */
  returnOld?: 0 | 1;
  /** 0–100 while processing (audio/video). */
  progress?: number;
  /**
   * An adapt item's renditions, each with its own progress: written with `progress` while it
   * runs, each at 100 once done (an extension: Qiniu's prefop has no such field).
   */
  renditions?: RenditionProgress[];
}

/** One webhook delivery attempt, as the status shows it. */
export interface NotifyAttempt {
  at: number;
  outcome: 'delivered' | 'retry' | 'gone' | 'blocked';
  status?: number;
  error?: string;
}

/** The status answer: Qiniu's prefop shape, plus the notify attempts. */
export interface JobStatus {
  id: string;
  code: JobCode;
  desc: string;
  inputKey: string;
  inputBucket: string;
  pipeline: string;
  reqid: string;
  creationDate: string;
  type?: string;
  items: JobItem[];
  notify?: { url: string; state: 'pending' | 'delivered' | 'failed'; attempts: NotifyAttempt[] };
}

/** Links a BullMQ fop job to the item of an async job it runs. */
export interface PersistentRef {
  id: string;
  index: number;
}
