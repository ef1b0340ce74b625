import { decodeFailure } from '@fopflow/errors';
import type { FopJobResult } from '@fopflow/queue';
import { JOB_CODE_DESC, JobCode, JobItem } from './persistent-job.types';

/** The item record of a fop that completed with `result`: wherever the end is noticed, it reads the same. */
export function doneItem(cmd: string, result: Pick<FopJobResult, 'saved' | 'returnOld' | 'renditions'>): JobItem {
  return {
    cmd,
    code: JobCode.Done,
    desc: JOB_CODE_DESC[JobCode.Done],
    ...(result.saved && { key: result.saved.key, hash: result.saved.etag }),
    returnOld: result.returnOld ?? 0,
    ...(result.renditions && { renditions: result.renditions }),
  };
}

/** The item record of a fop that failed for good with BullMQ's `reason` (an encoded failure). */
export function failedItem(cmd: string, reason: string): JobItem {
  const { error } = decodeFailure(reason);
  const step = /^step (\d+)\/\d+/.exec(error);
  return { cmd, code: JobCode.Failed, desc: JOB_CODE_DESC[JobCode.Failed], error, ...(step && { errorIndex: Number(step[1]) - 1 }) };
}

