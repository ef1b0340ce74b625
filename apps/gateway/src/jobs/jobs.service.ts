import { Inject, Injectable } from '@nestjs/common';
import { AccessKey } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { currentLogContext } from '@fopflow/logging';
import { traceCarrier } from '@fopflow/tracing';
import { FopPipeline, SaveasTarget } from '@fopflow/fop';
import { OutboundGuard } from '@fopflow/outbound';
import { declaredStatus } from '@fopflow/errors';
import {
  IDEMPOTENCY_COMMIT_GRACE_S,
  JOB_CODE_DESC,
  JobCode,
  JobKind,
  JobStatus,
  PersistentJobMeta,
  PersistentJobStore,
} from '@fopflow/jobs';
import {
  CANCEL_CHANNEL,
  CancelMessage,
  finishedJobRetention,
  FopJobData,
  JobDispatcher,
  NOTIFY_QUEUE,
  resultKey,
  type RedisClient,
} from '@fopflow/queue';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { randomBytes } from 'node:crypto';
import { Job } from 'bullmq';
import { AccessPolicy } from '../auth/access.policy';
import { PoolCatalog } from '../pools/pool-catalog';
import { GatewayError } from '../http/error.filter';
import { QueueRegistry } from '../fops/queue-registry';
import { REDIS_PRODUCER } from '../redis.module';
import { BacklogGate } from './backlog.gate';

/** An async job as submitted, in either API's words. */
export interface JobSubmission {
  kind: JobKind;
  /** The source object; or `url`, a remote source fetched by the worker behind the SSRF guard. */
  bucket?: string;
  key?: string;
  url?: string;
  fops: string[];
  notifyUrl?: string;
  pipeline?: string;
  force: boolean;
  type?: string;
  idempotencyKey?: string;
}

interface ParsedFop {
  text: string;
  pipeline: FopPipeline;
  saveas?: SaveasTarget;
}

/** A checked submission: its record and one queue entry per fop. */
interface PreparedJob {
  meta: PersistentJobMeta;
  entries: Array<{ jobId: string; data: FopJobData }>;
}

/** Most jobs in one batch submission. */
const MAX_JOBS_PER_BATCH = 500;

/** Names a submission may give for "no private pipeline". */
const DEFAULT_PIPELINES = new Set(['', '0.default', 'default']);

/**
 * Async jobs: validates everything before anything is written, records the job, then queues one
 * BullMQ job per fop. Status, listing and cancel read and change the same record.
 */
@Injectable()
export class JobsService {
  private readonly guard: OutboundGuard;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(REDIS_PRODUCER) private readonly redis: RedisClient,
    private readonly store: PersistentJobStore,
    private readonly queues: QueueRegistry,
    private readonly backlog: BacklogGate,
    private readonly access: AccessPolicy,
    private readonly pools: PoolCatalog,
    private readonly dispatcher: JobDispatcher,
  ) {
    this.guard = new OutboundGuard({ allowedTargets: config.allowedTargets });
  }

  /** Submits a job for `caller`; answers its id and whether an Idempotency-Key named it already. */
  async submit(caller: AccessKey, submission: JobSubmission): Promise<{ id: string; repeated: boolean }> {
    const prepared = await this.prepare(caller, submission);
    const idempotencyKey = submission.idempotencyKey;
    if (idempotencyKey) {
      const earlier = await this.claimIdempotencyKey(caller.accessKey, idempotencyKey, prepared.meta.id);
      if (earlier) return { id: earlier, repeated: true };
    }
    try {
      await this.commit(caller, [prepared]);
    } catch (error) {
      // A claim naming a job that was never queued would answer that dead id to every retry.
      if (idempotencyKey) await this.store.releaseIdempotencyKey(caller.accessKey, idempotencyKey, prepared.meta.id).catch(() => undefined);
      throw error;
    }
    // Unconfirmed (Redis lost just now), the claim still names a job with a record: never taken over.
    if (idempotencyKey) await this.store.confirmIdempotencyKey(caller.accessKey, idempotencyKey, prepared.meta.id).catch(() => undefined);
    return { id: prepared.meta.id, repeated: false };
  }

  /**
   * Claims an Idempotency-Key for `id`; answers the job it names already, if any. A claim left
   * pending past IDEMPOTENCY_COMMIT_GRACE_S with no job record belongs to a gateway that died
   * between claiming and queueing: it is taken over, so the retry runs instead of naming a ghost.
   */
  private async claimIdempotencyKey(owner: string, key: string, id: string): Promise<string | undefined> {
    const earlier = await this.store.claimIdempotencyKey(owner, key, id);
    if (!earlier) return undefined;
    const abandoned = earlier.pending && earlier.ageS >= IDEMPOTENCY_COMMIT_GRACE_S && !(await this.store.meta(earlier.id));
    if (abandoned && (await this.store.takeOverIdempotencyKey(owner, key, earlier.id, id))) return undefined;
    return earlier.id;
  }

  /**
   * Submits several jobs at once, all or none: every one is checked before any is written, and
   * their fops go to the queues in one bulk add per queue.
   */
  async submitMany(caller: AccessKey, submissions: JobSubmission[]): Promise<string[]> {
    if (submissions.length === 0 || submissions.length > MAX_JOBS_PER_BATCH) {
      throw new GatewayError(400, `jobs: 1 to ${MAX_JOBS_PER_BATCH} per batch, got ${submissions.length}`);
    }
    const prepared: PreparedJob[] = [];
    for (const [index, submission] of submissions.entries()) {
      prepared.push(
        await this.prepare(caller, submission).catch((error: Error) => {
          throw new GatewayError(declaredStatus(error) ?? 400, `jobs[${index}]: ${error.message}`);
        }),
      );
    }
    await this.commit(caller, prepared);
    return prepared.map((job) => job.meta.id);
  }

  /**
   * Checks the fops of a job not yet submittable (its source is about to be uploaded into
   * `bucket`): syntax, pipeline, notifyUrl and every object they touch. Writes nothing, so an
   * upload whose persistentOps would be refused stores nothing either.
   */
  async checkUpcoming(caller: AccessKey, bucket: string, submission: Pick<JobSubmission, 'fops' | 'notifyUrl' | 'pipeline'>): Promise<void> {
    const fops = this.parseFops(submission.fops, caller.accessKey);
    if (submission.notifyUrl) await this.checkOutbound('notifyUrl', submission.notifyUrl);
    this.queueTier(caller, submission.pipeline ?? '');
    for (const fop of fops) await this.access.authorizeFop(caller.accessKey, fop.pipeline, fop.saveas ?? { bucket, key: 'fop/<job id>/<index>' });
  }

  /** Checks a submission and builds its record and queue entries; writes nothing. */
  private async prepare(caller: AccessKey, submission: JobSubmission): Promise<PreparedJob> {
    const fops = this.parseFops(submission.fops, caller.accessKey);
    if (submission.notifyUrl) await this.checkOutbound('notifyUrl', submission.notifyUrl);
    const queueTier = this.queueTier(caller, submission.pipeline ?? '');
    const source = await this.source(caller, submission, fops);
    await this.backlog.admit(queueTier, this.config.tierSettings[queueTier], caller.tier === 'free');

    const id = `z0.${randomBytes(12).toString('hex')}`;
    const createdAt = Date.now();
    const meta: PersistentJobMeta = {
      id,
      kind: submission.kind,
      owner: caller.accessKey,
      queueTier,
      inputBucket: source.bucket,
      inputKey: source.url ?? source.key,
      pipeline: submission.pipeline || '0.default',
      fops: fops.map((fop) => fop.text),
      ...(submission.notifyUrl && { notifyUrl: submission.notifyUrl }),
      force: submission.force,
      ...(submission.type && { type: submission.type }),
      createdAt,
      reqid: randomBytes(8).toString('hex'),
    };
    const entries = fops.map((fop, index) => {
      const data: FopJobData = {
        source,
        pipeline: fop.pipeline.normalized,
        // Without saveas the result still needs a home: Qiniu keeps it in the source bucket.
        saveas: fop.saveas ? { bucket: fop.saveas.bucket, key: fop.saveas.key } : { bucket: source.bucket, key: `fop/${id}/${index}` },
        account: caller.accessKey,
        tier: queueTier,
        resultKey: resultKey(source.bucket, source.key, source.etag, fop.pipeline.normalized),
        requestedAt: createdAt,
        persistent: { id, index, force: submission.force },
        requestId: currentLogContext().requestId,
        trace: traceCarrier(),
      };
      return { jobId: `${id}-${index}`, data };
    });
    if (!meta.notifyUrl) meta.itemQueues = entries.map(({ data }) => this.dispatcher.pipelineQueue(data));
    return { meta, entries };
  }

  /** Records the jobs, then queues their fops; a failure removes what was written. */
  private async commit(caller: AccessKey, jobs: PreparedJob[]): Promise<void> {
    await this.store.createMany(jobs.map(({ meta }) => ({ meta, commands: meta.fops })));
    try {
      await this.dispatcher.dispatchAsyncJobs(
        jobs.map((job) => ({
          // Only a job with a webhook has something to do once its items have ended.
          ...(job.meta.notifyUrl && {
            notify: { data: { persistentId: job.meta.id, requestId: currentLogContext().requestId, trace: traceCarrier() }, jobId: job.meta.id },
          }),
          items: job.entries,
        })),
      );
    } catch (error) {
      // Nothing half-written: jobs whose fops could not all be queued are not kept.
      await Promise.all(
        jobs.map(async (job) => {
          await this.cancel(caller, job.meta.id).catch(() => undefined);
          await this.store.discard(job.meta).catch(() => undefined);
        }),
      );
      throw new GatewayError(503, `jobs could not be queued (${(error as Error).message}); nothing was kept`);
    }
  }

  /** The status of `id`; 404 when there is none or it is another owner's (when `caller` is given). */
  async status(id: string, caller?: AccessKey): Promise<JobStatus> {
    const status = await this.store.status(id);
    if (!status || (caller && (await this.store.meta(id))?.owner !== caller.accessKey)) {
      throw new GatewayError(404, `no such job '${id}'`);
    }
    return status;
  }

  /** The caller's jobs, newest first, with an optional code filter. */
  async list(caller: AccessKey, options: { limit: number; before?: number; code?: number }): Promise<{ items: JobStatus[]; nextBefore?: number }> {
    const items: JobStatus[] = [];
    let before = options.before;
    // Filtering by code may skip records; read pages until the page is full or the index ends.
    for (let round = 0; round < 10 && items.length < options.limit; round++) {
      const ids = await this.store.list(caller.accessKey, { limit: options.limit, before });
      if (ids.length === 0) return { items };
      for (const id of ids) {
        const status = await this.store.status(id);
        if (status && (options.code === undefined || status.code === options.code) && items.length < options.limit) items.push(status);
      }
      before = Date.parse((await this.store.status(ids[ids.length - 1]))?.creationDate ?? '') || undefined;
      if (before === undefined) break;
    }
    const last = items[items.length - 1];
    return { items, ...(items.length === options.limit && last && { nextBefore: Date.parse(last.creationDate) }) };
  }

  /**
   * Cancels what of `id` has not ended, walking its flow: items not yet taken are removed (with
   * the segments before them), running ones are stopped. The flow's parent then runs as for any
   * ended job: the webhook goes out once. A job without a webhook has no parent; its record
   * names each item's queue.
   */
  async cancel(caller: AccessKey, id: string): Promise<JobStatus> {
    const meta = await this.store.meta(id);
    if (!meta || meta.owner !== caller.accessKey) throw new GatewayError(404, `no such job '${id}'`);
    for (const item of await this.openItems(meta)) await this.cancelItem(id, item);
    return this.status(id);
  }

  /** The queue and id of each item of `meta` that its flow still waits for (every item, for a job without one). */
  private async openItems(meta: PersistentJobMeta): Promise<Array<{ queueName: string; jobId: string }>> {
    if (meta.itemQueues) return meta.itemQueues.map((queueName, index) => ({ queueName, jobId: `${meta.id}-${index}` }));
    const parent = await this.queues.get(NOTIFY_QUEUE).getJob(meta.id);
    const { unprocessed = [] } = parent ? await parent.getDependencies({ unprocessed: { count: meta.fops.length } }) : {};
    return unprocessed.map(splitJobKey);
  }

  /** Stops one item, given its job's queue and id: the last segment of its pipeline. */
  private async cancelItem(id: string, { queueName, jobId }: { queueName: string; jobId: string }): Promise<void> {
    const job = await this.queues.get(queueName).getJob(jobId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'waiting-children') {
      // An earlier segment runs or waits: stop it, and its failure fails this one.
      const { unprocessed = [] } = await job.getDependencies({ unprocessed: {} });
      const running = await this.runningSegment(unprocessed);
      if (running) return this.stop(running);
    }
    if (state === 'active') return this.stop(job);
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      await job.remove();
      const { index } = job.data.persistent!;
      await this.store.finishItem({ id, index }, { cmd: job.data.pipeline, code: JobCode.Failed, desc: JOB_CODE_DESC[JobCode.Failed], error: 'cancelled by request' });
    }
  }

  /** The active job among a chain of earlier segments, if one runs now. */
  private async runningSegment(keys: readonly string[]): Promise<Job<FopJobData> | undefined> {
    for (const key of keys) {
      const { queueName, jobId } = splitJobKey(key);
      const job = await this.queues.get(queueName).getJob(jobId);
      const state = await job?.getState();
      if (state === 'active') return job;
      if (state === 'waiting-children') return this.runningSegment((await job!.getDependencies({ unprocessed: {} })).unprocessed ?? []);
    }
    return undefined;
  }

  /** Asks the worker that holds `job` to abort it; its failure ends the item. */
  private async stop(job: Job): Promise<void> {
    const message: CancelMessage = { queue: job.queueName, jobId: job.id! };
    await this.redis.publish(CANCEL_CHANNEL, JSON.stringify(message));
  }

  private parseFops(texts: string[], account: string): ParsedFop[] {
    if (texts.length === 0) throw new GatewayError(400, 'fops: at least one fop is needed');
    if (texts.length > this.config.maxFopsPerJob) {
      throw new GatewayError(400, `fops: ${texts.length} given, at most ${this.config.maxFopsPerJob} (maxFopsPerJob)`);
    }
    return texts.map((text, index) => {
      try {
        return { text, ...this.pools.parseFop(text, account) };
      } catch (error) {
        throw new GatewayError(declaredStatus(error) ?? 400, `fops[${index}]: ${(error as Error).message}`);
      }
    });
  }

  /**
   * The job's source: a stored object the caller may read, or a URL the guard lets through. Every
   * object each fop reads and writes (its saveas target, else its result's default home in the
   * source bucket) is checked against the caller too, before anything is written.
   */
  private async source(caller: AccessKey, submission: JobSubmission, fops: ParsedFop[]): Promise<FopJobData['source']> {
    const account = caller.accessKey;
    if (submission.url !== undefined) {
      await this.checkOutbound('source.url', submission.url);
      // A URL source has no bucket of its own for results to default to.
      const unsaved = fops.findIndex((fop) => !fop.saveas);
      if (unsaved >= 0) throw new GatewayError(400, `fops[${unsaved}]: a URL source needs |saveas/<EncodedEntryURI> on every fop`);
      for (const fop of fops) await this.access.authorizeFop(account, fop.pipeline, fop.saveas);
      return { bucket: '', key: '', etag: `url:${submission.url}`, size: 0, url: submission.url };
    }
    if (!submission.bucket || !submission.key) throw new GatewayError(400, 'source needs bucket and key, or url');
    await this.access.authorize(account, 'read', submission.bucket, `source ${submission.bucket}:${submission.key}`);
    for (const fop of fops) {
      await this.access.authorizeFop(account, fop.pipeline, fop.saveas ?? { bucket: submission.bucket, key: 'fop/<job id>/<index>' });
    }
    const info = await this.storage.stat(submission.bucket, submission.key);
    return { bucket: info.bucket, key: info.key, etag: info.etag, size: info.size };
  }

  /** Refuses a URL the outbound guard would block, naming the field; nothing is contacted. */
  private async checkOutbound(field: string, url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new GatewayError(400, `${field} '${url.slice(0, 200)}' is not a URL`);
    }
    try {
      await this.guard.check(parsed);
    } catch (error) {
      throw new GatewayError(400, `${field}: ${(error as Error).message}`);
    }
  }

  private queueTier(caller: AccessKey, pipeline: string): string {
    if (DEFAULT_PIPELINES.has(pipeline)) return caller.tier;
    const settings = this.config.tierSettings[pipeline];
    if (!settings?.owner || settings.owner !== caller.accessKey) throw new GatewayError(400, `no such pipeline '${pipeline}' for this access key`);
    return pipeline;
  }
}

/** The queue and id in a BullMQ job key, `<prefix>:<queue>:<id>` (neither contains ':'). */
function splitJobKey(key: string): { queueName: string; jobId: string } {
  const parts = key.split(':');
  return { queueName: parts[parts.length - 2], jobId: parts[parts.length - 1] };
}
