import { noHostIsOwn, parsePipeline, splitSaveas } from '@fopflow/fop';
import {
  doneItem,
  failedItem,
  JOB_CODE_DESC,
  JobCode,
  JobStatus,
  PersistentJobMeta,
  PersistentJobStore,
} from '@fopflow/jobs';
import {
  FopJobResult,
  fopQueueName,
  NOTIFY_QUEUE,
  JobDispatcher,
  jobSettings,
  queueOptions,
  scanKeys,
  type RedisClient,
  REDIS_KEY_PREFIX,
} from '@fopflow/queue';
import type { ObjectStorage } from '@fopflow/storage';
import { Job, Queue } from 'bullmq';

const RECORD_PREFIX = `${REDIS_KEY_PREFIX}:pjob:`;

/** Open jobs read per page of the index (and records per SCAN when seeding it). */
const PAGE_SIZE = 500;

/** Job states in which BullMQ still holds work that will end on its own. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** What one pass repaired, for the log and for tests. */
export interface ReconcileReport {
  /** Records read. */
  records: number;
  /** Items whose BullMQ job had ended: its outcome written. */
  itemsFromJob: number;
  /** Items with no job left whose saveas target already holds their result: done, not re-run. */
  itemsFromStoredResult: number;
  /** Items with no job left and no result: failed, saying so. */
  itemsLost: number;
  /** Webhooks queued again (none queued, none delivered, none given up). */
  webhooksQueued: number;
  /** Webhook outcomes written from their ended notify job. */
  webhooksRecorded: number;
}

export interface JobRecordsReconcilerOptions {
  /** How long a record must look broken before it is repaired, in ms (see FOPFLOW_RECONCILE_GRACE_S). */
  graceMs: number;
  webhookRetryScheduleS: readonly number[];
  /** Retention of the webhook jobs it queues, as the workers' own: seconds and count. */
  retentionS: number;
  retentionCount: number;
}

/**
 * Repairs async job records a crash left inconsistent with BullMQ: an item still "waiting" or
 * "processing" whose job has ended or is gone (a worker killed between the job's end and the
 * status write, Redis losing its last second), and a finished job whose webhook is neither
 * delivered nor given up with no notify job to send it. Run by one process at a time (the
 * leading scaler). A record is repaired only after looking broken for the grace period on two
 * passes, so a healthy job between two of its writes is never touched; every repair is itself
 * safe to repeat (an item ends once, the webhook job has the async job's id).
 */
export class JobRecordsReconciler {
  /** Record parts seen broken, with when they were first seen so (ms). */
  private readonly suspects = new Map<string, number>();
  private seeded = false;
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly redis: RedisClient,
    private readonly store: PersistentJobStore,
    private readonly storage: ObjectStorage,
    private readonly options: JobRecordsReconcilerOptions,
  ) {
    this.dispatcher = new JobDispatcher(
      (name) => this.queue(name),
      jobSettings({ jobRetentionS: options.retentionS, jobRetentionCount: options.retentionCount, statusRetentionS: options.retentionS, webhookRetryScheduleS: options.webhookRetryScheduleS }),
    );
  }

  /** Queues what it repairs with the catalogue's options, as every producer does. */
  private readonly dispatcher: JobDispatcher;

  /**
   * Walks the open jobs (the store's index of jobs with an item or a webhook still to end) once
   * and repairs what has looked broken for the grace period. Finished jobs are never read, so a
   * pass costs what is in flight, not what is retained.
   */
  async pass(now = Date.now()): Promise<ReconcileReport> {
    if (!this.seeded) await this.seedOpenIndex();
    this.seeded = true;
    const report: ReconcileReport = { records: 0, itemsFromJob: 0, itemsFromStoredResult: 0, itemsLost: 0, webhooksQueued: 0, webhooksRecorded: 0 };
    const seen = new Set<string>();
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const page = await this.store.openJobs(offset, PAGE_SIZE);
      const gone: string[] = [];
      for (const { id } of page) {
        report.records++;
        if (!(await this.reconcileJob(id, seen, report, now))) gone.push(id);
      }
      // Records that expired (or were discarded) leave the index; the next page moves up by as many.
      await this.store.forgetOpen(gone);
      offset -= gone.length;
      if (page.length < PAGE_SIZE) break;
    }
    for (const suspect of this.suspects.keys()) if (!seen.has(suspect)) this.suspects.delete(suspect);
    return report;
  }

  /**
   * Records written before the open index existed are in no index: the first pass of each
   * reconciler walks every record once and indexes the unfinished ones.
   */
  private async seedOpenIndex(): Promise<void> {
    // On a Redis Cluster each master holds only its own slots: scanKeys visits every one.
    await scanKeys(
      this.redis,
      `${RECORD_PREFIX}*`,
      async (keys) => {
        const open: Array<{ id: string; createdAt: number }> = [];
        for (const key of keys) {
          const id = key.slice(RECORD_PREFIX.length);
          const [meta, status] = await Promise.all([this.store.meta(id), this.store.status(id)]);
          if (meta && status && !isFinished(meta, status)) open.push({ id, createdAt: meta.createdAt });
        }
        await this.store.markOpen(open);
      },
      PAGE_SIZE,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  /** Repairs one open job; answers false when it is no longer open (its record gone, or the job closed). */
  private async reconcileJob(id: string, seen: Set<string>, report: ReconcileReport, now: number): Promise<boolean> {
    const [meta, status] = await Promise.all([this.store.meta(id), this.store.status(id)]);
    if (!meta || !status) return false;
    let endedHere = false;
    for (const [index, item] of status.items.entries()) {
      if (item.code !== JobCode.Waiting && item.code !== JobCode.Processing) continue;
      const outcome = await this.repairItem(meta, index, seen, now);
      if (outcome === 'live' || outcome === 'not yet') continue;
      report[outcome]++;
      endedHere = true;
    }
    const after = endedHere ? await this.store.status(id) : status;
    if (!after) return false;
    await this.reconcileWebhook(meta, after, seen, report, now);
    // A job still indexed though finished (its closing command lost with a crash) leaves the index.
    return !isFinished(meta, after);
  }

  /** One item that claims to wait or run: whether its job lives, or what its end was. */
  private async repairItem(
    meta: PersistentJobMeta,
    index: number,
    seen: Set<string>,
    now: number,
  ): Promise<'live' | 'not yet' | 'itemsFromJob' | 'itemsFromStoredResult' | 'itemsLost'> {
    const text = meta.fops[index];
    const { pipeline, saveas } = splitSaveas(text);
    // Only the commands matter: every mark URL the gateway took parses as an outside one, whatever its host.
    const commands = [...new Set(parsePipeline(pipeline, { customCommands: 'any', isOwnHost: noHostIsOwn }).steps.map((step) => step.command))];
    const jobId = `${meta.id}-${index}`;
    // A pipeline crossing pools runs as jobs of one id in several queues: the item lives while any does.
    let ended: { job: Job; state: 'completed' | 'failed' } | undefined;
    for (const command of commands) {
      const job = await this.queue(fopQueueName(command, meta.queueTier)).getJob(jobId);
      if (!job) continue;
      const state = await job.getState();
      if (LIVE_STATES.has(state)) return 'live';
      const handedOn = state === 'completed' && (job.returnvalue as FopJobResult | undefined)?.continuedIn;
      if ((state === 'completed' && !handedOn) || state === 'failed') ended = { job, state };
    }
    if (!this.due(`${meta.id}:item:${index}`, seen, now)) return 'not yet';
    const ref = { id: meta.id, index };
    if (ended) {
      const { job, state } = ended;
      const cmd = (job.data as { pipeline?: string }).pipeline ?? text;
      await this.store.finishItem(ref, state === 'completed' ? doneItem(cmd, job.returnvalue as FopJobResult) : failedItem(cmd, job.failedReason ?? 'failed'));
      return 'itemsFromJob';
    }
    // No job at all. Its result may be stored already (the job ended, then its record and the
    // job were lost): Qiniu's returnOld rule says an existing target is kept, so it is not re-run.
    const target = saveas ?? { bucket: meta.inputBucket, key: `fop/${meta.id}/${index}` };
    // A bucket-only target is named by its result's qetag, unknown until the result is made again.
    const existing = target.key === undefined ? undefined : await this.storage.stat(target.bucket, target.key).catch(() => undefined);
    if (existing && (!meta.force || existing.putTime >= meta.createdAt)) {
      const returnOld = existing.putTime < meta.createdAt ? 1 : 0;
      await this.store.finishItem(ref, doneItem(pipeline, { saved: { bucket: existing.bucket, key: existing.key, etag: existing.etag }, returnOld }));
      return 'itemsFromStoredResult';
    }
    await this.store.finishItem(ref, {
      cmd: pipeline,
      code: JobCode.Failed,
      desc: JOB_CODE_DESC[JobCode.Failed],
      error: 'lost: no queued job holds this fop any more (Redis lost it) and no result was stored; submit the job again',
    });
    return 'itemsLost';
  }

  /** A finished job with a webhook that is neither delivered nor given up, and none queued. */
  private async reconcileWebhook(meta: PersistentJobMeta, status: JobStatus, seen: Set<string>, report: ReconcileReport, now: number): Promise<void> {
    if (!meta.notifyUrl) return;
    if (status.items.some((item) => item.code === JobCode.Waiting || item.code === JobCode.Processing)) return;
    const state = status.notify?.state;
    if (state === 'delivered' || state === 'failed') return;
    const notify = this.queue(NOTIFY_QUEUE);
    const job = await notify.getJob(meta.id);
    let jobState = job ? await job.getState() : undefined;
    const orphaned = jobState === 'waiting-children' && !(await this.anyChildLives(job!));
    if (jobState && LIVE_STATES.has(jobState) && !orphaned) return;
    if (!this.due(`${meta.id}:webhook`, seen, now)) return;
    if (orphaned) {
      // The flow's parent waits for items whose jobs Redis lost: it would never run. Every item
      // has ended, so a webhook job of its own takes its place.
      await notify.remove(meta.id, { removeChildren: false });
      jobState = undefined;
    }
    if (jobState === 'completed' || jobState === 'failed') {
      // It ended, but its outcome never reached the record: write it, never send it again.
      await this.store.recordNotify(meta.id, meta.notifyUrl, jobState === 'completed' ? 'delivered' : 'failed');
      report.webhooksRecorded++;
      return;
    }
    await this.store.recordNotify(meta.id, meta.notifyUrl, 'pending');
    // The job id is the async job's: two reconcilers (or a worker's late report) queue it once.
    await this.dispatcher.dispatch('notify', { data: { persistentId: meta.id }, jobId: meta.id });
    report.webhooksQueued++;
  }

  /** True while a job the flow's parent waits for still exists and has not ended. */
  private async anyChildLives(parent: Job): Promise<boolean> {
    const { unprocessed = [] } = await parent.getDependencies({ unprocessed: {} });
    for (const key of unprocessed) {
      const [queueName, jobId] = key.split(':').slice(-2);
      const state = await this.queue(queueName).getJobState(jobId);
      if (LIVE_STATES.has(state)) return true;
    }
    return false;
  }

  /** True once `suspect` has been seen broken for the grace period; notes it as seen this pass. */
  private due(suspect: string, seen: Set<string>, now: number): boolean {
    seen.add(suspect);
    const first = this.suspects.get(suspect);
    if (first === undefined) this.suspects.set(suspect, now);
    if (now - (first ?? now) < this.options.graceMs) return false;
    this.suspects.delete(suspect);
    return true;
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, queueOptions(this.redis));
      this.queues.set(name, queue);
    }
    return queue;
  }
}

/** True when nothing of the job is left to end: every item, and its webhook if it has one. */
function isFinished(meta: PersistentJobMeta, status: JobStatus): boolean {
  if (status.items.some((item) => item.code === JobCode.Waiting || item.code === JobCode.Processing)) return false;
  return !meta.notifyUrl || status.notify?.state === 'delivered' || status.notify?.state === 'failed';
}

