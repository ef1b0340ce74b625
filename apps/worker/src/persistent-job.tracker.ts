import { Inject, Injectable, Logger } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { doneItem, failedItem, FopJobData, FopJobResult, JOB_CODE_DESC, JobCode, JobDispatcher, PersistentJobStore } from '@fopflow/queue';
import { Job } from 'bullmq';

/** What the notify queue carries: only the job's id; the body is read fresh at each attempt. */
export type { NotifyJobData } from '@fopflow/queue';

/**
 * Keeps the status of async jobs in step with their BullMQ jobs: an item becomes processing when
 * a worker takes it, records its progress, and ends done or failed; the last item to end queues
 * the webhook.
 */
@Injectable()
export class PersistentJobTracker {
  private readonly logger = new Logger('PersistentJobs');

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly store: PersistentJobStore,
    private readonly dispatcher: JobDispatcher,
  ) {}

  async active(job: Job<FopJobData, FopJobResult>): Promise<void> {
    const ref = job.data.persistent;
    if (ref) await this.store.patchItem(ref, { code: JobCode.Processing, desc: JOB_CODE_DESC[JobCode.Processing] });
  }

  async progress(job: Job<FopJobData, FopJobResult>, percent: number): Promise<void> {
    const ref = job.data.persistent;
    if (ref) await this.store.patchItem(ref, { progress: percent });
  }

  async completed(job: Job<FopJobData, FopJobResult>, result: FopJobResult): Promise<void> {
    const ref = job.data.persistent;
    // A hand-off is not an end: the job of the same id in the next queue finishes the item.
    if (!ref || result.continuedIn) return;
    const last = await this.store.finishItem(ref, doneItem(job.data.pipeline, result));
    if (last) await this.jobEnded(ref.id, job.data);
  }

  async failed(job: Job<FopJobData, FopJobResult>, reason: string): Promise<void> {
    const ref = job.data.persistent;
    if (!ref) return;
    const last = await this.store.finishItem(ref, failedItem(job.data.pipeline, reason));
    if (last) await this.jobEnded(ref.id, job.data);
  }

  private async jobEnded(id: string, { requestId, trace }: FopJobData): Promise<void> {
    const meta = await this.store.meta(id);
    if (!meta?.notifyUrl) return;
    await this.store.recordNotify(id, meta.notifyUrl, 'pending');
    // The job id makes a second "last item" report (after a crash) a no-op.
    await this.dispatcher.dispatch('notify', { data: { persistentId: id, requestId, trace }, jobId: id });
    this.logger.debug(`job ${id} ended; webhook queued`);
  }
}
