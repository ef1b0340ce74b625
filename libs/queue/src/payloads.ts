import type { RenditionProgress } from '@fopflow/fop';

/** What a fop job asks for. References only: Redis carries control, never media bytes. */
export interface FopJobData {
  /** The object to process; with `url`, a remote source the worker fetches behind the SSRF guard. */
  source: { bucket: string; key: string; etag: string; size: number; url?: string };
  /**
   * Set when earlier steps ran first (an earlier segment of the pipeline, or a worker that handed
   * on): their result, in the result cache, is this job's input instead of the source. `mime` is
   * known only after a hand-off; the cache entry says it either way.
   */
  intermediate?: { resultKey: string; mime?: string };
  /**
   * Set on a segment of a pipeline split across pools that is not the last: its result feeds the
   * next segment (its parent in the flow) and does not end the async item.
   */
  feedsNext?: true;
  /**
   * Where this job's steps sit in the whole pipeline, when it runs part of one: the number of the
   * steps before them and the whole pipeline's count, so a failure names `step 2/3 (vframe)`.
   */
  stepsOf?: { before: number; total: number };
  /** Normalised text of the steps this job runs, e.g. `imageView2/2/w/320`. */
  pipeline: string;
  /** Store the result at this object too (`|saveas/...`). */
  saveas?: { bucket: string; key?: string };
  /**
   * Whom the job acts for (an access key, `@operator` or `@anonymous`): the worker checks the
   * source, every object a step reads and the saveas target against it again. A job without
   * one (queued by an older gateway) acts as `@anonymous`.
   */
  account?: string;
  tier: string;
  /** Where the worker stores the result in the result cache. */
  resultKey: string;
  /** When the request that created the job arrived, ms since epoch. */
  requestedAt: number;
  /** Set for an item of an async job: where its status is kept. */
  persistent?: { id: string; index: number; force: boolean };
  /** The HTTP request that queued the job (X-Request-Id): worker and webhook log lines carry it. */
  requestId?: string;
  /** W3C trace context of the request that queued the job: its spans join that trace. */
  trace?: Record<string, string>;
}

/** What a completed fop job answers: a reference to the cached result. */
export interface FopJobResult {
  resultKey: string;
  mime: string;
  size: number;
  /** Processing time inside the worker, ms. */
  durationMs: number;
  /** The object written for `saveas`, when the job had one. */
  saved?: { bucket: string; key: string; etag: string };
  /** 1 when the saveas target existed and was kept, not made again (async, without force). */
  returnOld?: 0 | 1;
  /**
   * Set when the remaining steps belong to another pool than the queue's consumers run (a
   * worker whose commands differ from the pools' split): the job of the same id in this queue
   * carries on, and its outcome is the pipeline's.
   */
  continuedIn?: string;
  /** An adapt step's renditions, each at 100: the item's status keeps showing them once done. */
  renditions?: RenditionProgress[];
}

/**
 * A fop job's BullMQ progress: a bare percentage, or this object while a step with a detail
 * runs (adapt: each rendition's own progress).
 */
export interface FopJobProgress {
  percent: number;
  renditions?: RenditionProgress[];
}

/** How a job ended, as the sync waiter sees it. */
export type JobOutcome =
  | { state: 'completed'; result: FopJobResult }
  | { state: 'failed'; status: number; error: string; finishedOn?: number }
  | { state: 'timeout' };

/** A cancel request: the queue and id of a job that is running somewhere. */
export interface CancelMessage {
  queue: string;
  jobId: string;
}

/**
 * A `notify` job: the async job whose webhook to deliver. Queued with the job as the parent of
 * its fop items, it runs once every item has ended; a job without a notifyUrl ends there.
 */
export interface NotifyJobData {
  persistentId: string;
  /** The request that queued the async job, for the delivery's log lines. */
  requestId?: string;
  /** Its trace context: the delivery joins the request's trace. */
  trace?: Record<string, string>;
}

/** A `ufop.build` job: which upload becomes which version of which command. */
export interface UfopBuildJobData {
  name: string;
  version: string;
  owner: string;
  tarball: { bucket: string; key: string };
}
