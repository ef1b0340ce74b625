import { Injectable } from '@nestjs/common';
import { doneItem, failedItem, JOB_CODE_DESC, JobCode, PersistentJobStore } from '@fopflow/jobs';
import { FopJobData, FopJobProgress, FopJobResult } from '@fopflow/queue';
import { Job } from 'bullmq';

/** What the notify queue carries: only the job's id; the body is read fresh at each attempt. */
export type { NotifyJobData } from '@fopflow/queue';

/**
 * Keeps the status of async jobs in step with their BullMQ jobs: an item becomes processing when
 * a worker takes it, records its progress, and ends done or failed. The webhook is not queued
 * here: it is the parent of the job's flow, and BullMQ starts it once every item has ended.
 */
@Injectable()
export class PersistentJobTracker {
  constructor(private readonly store: PersistentJobStore) {}

  async active(job: Job<FopJobData, FopJobResult>): Promise<void> {
    const ref = job.data.persistent;
    if (ref) await this.store.patchItem(ref, { code: JobCode.Processing, desc: JOB_CODE_DESC[JobCode.Processing] });
  }

  /** Records a running item's progress: BullMQ's job progress, a number or a FopJobProgress (adapt's renditions). */
  async progress(job: Job<FopJobData, FopJobResult>, progress: unknown): Promise<void> {
    const ref = job.data.persistent;
    const reported = typeof progress === 'number' ? { percent: progress } : (progress as FopJobProgress | null);
    if (typeof reported?.percent !== 'number') return;
    const { percent, renditions } = reported;
    // 100 comes with the work's end, and the item's end follows at once and replaces it: writing
    // it would cost every item (a cheap imageInfo's only report) a Redis round trip for nothing.
    if (ref && percent < 100) await this.store.patchItem(ref, { progress: percent, ...(renditions && { renditions }) });
  }

  async completed(job: Job<FopJobData, FopJobResult>, result: FopJobResult): Promise<void> {
    const ref = job.data.persistent;
    // Neither an earlier segment nor a hand-off is the end: the job that runs the last steps is.
    if (!ref || job.data.feedsNext || result.continuedIn) return;
    await this.store.finishItem(ref, doneItem(job.data.pipeline, result));
  }

  /**
   * Any segment's final failure ends the item: the segments after it never run. The processor
   * writes the end before BullMQ hears of the failure, and BullMQ then reports the same error
   * object; that second report writes nothing, so a failed item costs one round trip, not two.
   */
  async failed(job: Job<FopJobData, FopJobResult>, error: Error): Promise<void> {
    const ref = job.data.persistent;
    if (!ref || this.endsWritten.has(error)) return;
    await this.store.finishItem(ref, failedItem(job.data.pipeline, error.message));
    this.endsWritten.add(error);
  }

  /** Failures whose item end is written already; held weakly, as BullMQ drops them once reported. */
  private readonly endsWritten = new WeakSet<Error>();
}
