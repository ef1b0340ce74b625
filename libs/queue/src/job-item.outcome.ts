import type { JobsOptions } from 'bullmq';
import { decodeFailure } from './failure';
import { FopJobResult } from './payloads';
import { JOB_CODE_DESC, JobCode, JobItem } from './persistent-job.types';
import { finishedJobRetention } from './retention';

/** The item record of a fop that completed with `result`: wherever the end is noticed, it reads the same. */
export function doneItem(cmd: string, result: Pick<FopJobResult, 'saved' | 'returnOld'>): JobItem {
  return {
    cmd,
    code: JobCode.Done,
    desc: JOB_CODE_DESC[JobCode.Done],
    ...(result.saved && { key: result.saved.key, hash: result.saved.etag }),
    returnOld: result.returnOld ?? 0,
  };
}

/** The item record of a fop that failed for good with BullMQ's `reason` (an encoded failure). */
export function failedItem(cmd: string, reason: string): JobItem {
  const { error } = decodeFailure(reason);
  const step = /^step (\d+)\/\d+/.exec(error);
  return { cmd, code: JobCode.Failed, desc: JOB_CODE_DESC[JobCode.Failed], error, ...(step && { errorIndex: Number(step[1]) - 1 }) };
}

/**
 * Options of the webhook job of async job `id`: its id is the async job's, so however many
 * parts notice the end (the last item's worker, the reconciler) the webhook is queued once.
 */
export function webhookJobOptions(id: string, scheduleS: readonly number[], retentionS: number, retentionCount: number): JobsOptions {
  return { jobId: id, attempts: scheduleS.length, backoff: { type: 'webhook' }, ...finishedJobRetention(retentionS, retentionCount) };
}
