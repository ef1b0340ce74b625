import { Inject, Injectable } from '@nestjs/common';
import { Account, ANONYMOUS_ACCOUNT, ObjectAccess } from '@fopflow/auth';
import { ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { describeSaveasTarget, formatStep, noHostIsOwn, parsePipeline, PipelineStep, writesObjectSet } from '@fopflow/fop';
import { declaredStatus, encodeFailure, FopError } from '@fopflow/errors';
import { FopJobData, FopJobResult, JobDispatcher, QueueSet, removeFinishedJob, resultKey } from '@fopflow/queue';
import { BucketInfo, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { OutboundGuard } from '@fopflow/outbound';
import { Job, UnrecoverableError } from 'bullmq';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { sep } from 'node:path';
import { StepData } from '@fopflow/media';
import { pipeline as pipe } from 'node:stream/promises';
import { JobProgressReporter } from './job-progress.reporter';
import { PersistentJobTracker } from './persistent-job.tracker';
import { PipelineRunner } from './pipeline.runner';
import { fetchUrl, SourceFetcher } from './source.fetcher';
import { storeObjectSet } from './object-set.store';
import { defaultSaveasKey, SavedBody } from './saveas-default-key';
import { createWorkDir, WorkDir } from './work-dir';

/** Decides which commands this instance runs; the others' steps are handed on. */
export interface PipelineRouting {
  consumes(command: string): boolean;
}

/**
 * Runs one fop job: fetches the source itself into a private work directory, runs every step
 * this instance can, stores the result in the cache (and at its saveas target) and answers a
 * reference. Steps of another pool are handed on through that pool's queue. Failures that a
 * retry cannot change are unrecoverable; the message carries the HTTP status.
 */
@Injectable()
export class FopJobProcessor {
  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly cache: ResultCache,
    private readonly runner: PipelineRunner,
    private readonly fetcher: SourceFetcher,
    private readonly access: ObjectAccess<BucketInfo>,
    private readonly dispatcher: JobDispatcher,
    private readonly queues: QueueSet,
    private readonly tracker: PersistentJobTracker,
  ) {
    this.guard = new OutboundGuard({ allowedTargets: config.allowedTargets });
  }

  private readonly guard: OutboundGuard;

  /**
   * Runs the job and writes an async item's status where the work happens, before BullMQ hears
   * of the outcome: a failed status write fails the job (and BullMQ retries it) instead of
   * leaving the item "processing" behind a completed job. Writing an item's end twice is a no-op.
   */
  async process(job: Job<FopJobData, FopJobResult>, routing: PipelineRouting, signal: AbortSignal): Promise<FopJobResult> {
    let result: FopJobResult;
    try {
      result = await this.run(job, routing, signal);
    } catch (error) {
      const failure = error as Error;
      if (isFinalFailure(job, failure)) await this.tracker.failed(job, failure);
      throw failure;
    }
    await this.tracker.completed(job, result);
    return result;
  }

  private async run(job: Job<FopJobData, FopJobResult>, routing: PipelineRouting, signal: AbortSignal): Promise<FopJobResult> {
    const started = performance.now();
    let workDir: WorkDir | undefined;
    const account = accountOf(job.data);
    try {
      // Decided again here, from the job's account: a job queued around the gateway's checks still
      // reads and writes nothing its account may not.
      if (job.data.saveas) await this.access.authorize(account, 'write', job.data.saveas.bucket, `saveas ${describeSaveasTarget(job.data.saveas)}`);
      const kept = await this.keptResult(job.data);
      if (kept) return { ...kept, durationMs: Math.round(performance.now() - started) };
      // The gateway wrote every own-host mark as <bucket>:<key>; a URL left is an outside mark, fetched through the guard.
      const { steps } = parsePipeline(job.data.pipeline, { maxSteps: this.config.limits.maxPipelineSteps, customCommands: 'any', isOwnHost: noHostIsOwn });
      const ownCount = countLeading(steps, (step) => routing.consumes(step.command));
      if (ownCount === 0) throw new FopError(503, 'CommandNotRunHere', `this worker does not run '${steps[0].command}'`);

      const own = steps.slice(0, ownCount);
      const rest = steps.slice(ownCount);
      const ownKey = rest.length ? this.prefixKey(job.data, own) : job.data.resultKey;
      // A set's objects name each other by their keys, so it is made for its target, never cached.
      if (!rest.length && own.some(writesObjectSet)) {
        workDir = await createWorkDir(this.config.workDir, job.id ?? 'job');
        return await this.runObjectSet(job, own, ownKey, account, workDir, signal, started);
      }
      // The one look at the result cache: a hit is answered (and saved) from it, a miss is made once
      // and stored from the bytes in hand.
      const hit = await this.cache.get(ownKey);
      const saveas = rest.length ? undefined : job.data.saveas;
      let output: { mime: string; size: number };
      let saved: SavedObject | undefined;
      if (hit) {
        output = { mime: hit.mime, size: hit.size };
        if (saveas) {
          // Without a key the result is named by its qetag, so it is spooled to be hashed, then saved.
          workDir = saveas.key === undefined ? await createWorkDir(this.config.workDir, job.id ?? 'job') : undefined;
          const body = workDir ? await spool(hit.stream, workDir.file('cached')) : hit.stream;
          saved = await this.save(saveas, body, hit.mime, account);
        } else hit.stream.destroy();
      } else {
        workDir = await createWorkDir(this.config.workDir, job.id ?? 'job');
        const input = await this.input(job.data, workDir);
        try {
          const produced = await this.runner.run({ steps: own, stepsOf: stepsOf(job.data), input: input.data, account, sourceUrl: publicSourceUrl(this.config.publicUrl, job.data.source), workDir, signal, onProgress: new JobProgressReporter(job).report });
          // An async item's result is the object saved at its target; a copy in the result cache
          // would cost every cheap job a write no request reads.
          const cacheKey = job.data.persistent && saveas ? undefined : ownKey;
          ({ output, saved } = await this.storeResult(cacheKey, produced, workDir, saveas, account));
        } finally {
          input.release();
        }
      }
      const durationMs = Math.round(performance.now() - started);
      if (rest.length) return this.handOn(job, rest, ownKey, output.mime, durationMs);
      return { resultKey: ownKey, mime: output.mime, size: output.size, durationMs, ...(saved && { saved }) };
    } catch (error) {
      throw asJobFailure(error, signal);
    } finally {
      await workDir?.remove();
    }
  }

  /** Runs steps whose last writes a set of objects, and stores the set at the job's target. */
  private async runObjectSet(
    job: Job<FopJobData, FopJobResult>,
    steps: readonly PipelineStep[],
    resultKey: string,
    account: Account,
    workDir: WorkDir,
    signal: AbortSignal,
    started: number,
  ): Promise<FopJobResult> {
    const target = job.data.saveas;
    if (!target) throw new FopError(400, 'ObjectSetNeedsTarget', `${steps.at(-1)!.command} writes a set of objects: run it as an async job (POST /v1/jobs or /pfop/)`);
    if (target.key === undefined) {
      throw new FopError(400, 'ObjectSetNeedsTarget', `${steps.at(-1)!.command} names the objects of its set after the saveas key: saveas needs <bucket>:<key>, not a bucket alone`);
    }
    const keyed = { bucket: target.bucket, key: target.key };
    const input = await this.input(job.data, workDir);
    const progress = new JobProgressReporter(job);
    let info;
    try {
      const produced = await this.runner.run({ steps, input: input.data, account, workDir, signal, onProgress: progress.report, objectSetTarget: keyed });
      const path = await produced.toFile(workDir.path, 'object-set');
      info = await storeObjectSet(this.storage, this.access, account, keyed, { path, mime: produced.mime, members: produced.members }, this.config.limits.maxUploadBytes);
    } finally {
      input.release();
    }
    const saved = { bucket: info.bucket, key: info.key, etag: info.etag };
    const renditions = progress.renditions();
    return { resultKey, mime: info.mime, size: info.size, durationMs: Math.round(performance.now() - started), saved, ...(renditions && { renditions }) };
  }

  /** An async item whose saveas target exists keeps it unless `force` (Qiniu's returnOld). */
  private async keptResult(data: FopJobData): Promise<Omit<FopJobResult, 'durationMs'> | undefined> {
    // A bucket-only target is named by the result's qetag: there is nothing to look for before it is made.
    if (!data.persistent || data.persistent.force || data.saveas?.key === undefined) return undefined;
    const existing = await this.storage.stat(data.saveas.bucket, data.saveas.key).catch(() => undefined);
    if (!existing) return undefined;
    return {
      resultKey: data.resultKey,
      mime: existing.mime,
      size: existing.size,
      saved: { bucket: existing.bucket, key: existing.key, etag: existing.etag },
      returnOld: 1,
    };
  }

  /** The job's input: an earlier pool's result, a URL's body in memory, or the source from this instance's Fetcher. */
  private async input(data: FopJobData, workDir: WorkDir): Promise<{ data: StepData; release(): void }> {
    const kept = { release: () => undefined };
    if (data.intermediate) {
      const hit = await this.cache.get(data.intermediate.resultKey);
      if (!hit) throw new Error('the result of the earlier steps left the cache before this step ran');
      const path = workDir.file('source');
      await pipe(hit.stream, createWriteStream(path));
      return { data: StepData.onFile(path, data.intermediate.mime ?? hit.mime), ...kept };
    }
    if (data.source.url) {
      const body = await fetchUrl(data.source.url, this.guard, this.config.limits.maxSourceBytes);
      return { data: StepData.inMemory(body.data, body.mime), ...kept };
    }
    await this.access.authorize(accountOf(data), 'read', data.source.bucket, `source ${data.source.bucket}:${data.source.key}`);
    const lease = await this.fetcher.fetch(data.source);
    return { data: StepData.onFile(lease.path, lease.info.mime), release: lease.release };
  }

  /**
   * Stores what the steps made, once: bytes in memory are written to the cache and saved to the
   * saveas target from the same Buffer; a file (ffmpeg's) is saved from disk, then moved into the
   * cache. Without a cache key the result is only saved.
   */
  private async storeResult(
    key: string | undefined,
    produced: StepData,
    workDir: WorkDir,
    saveas: { bucket: string; key?: string } | undefined,
    account: Account,
  ): Promise<{ output: { mime: string; size: number }; saved?: SavedObject }> {
    const file = produced.file;
    if (produced.data || !file || !file.startsWith(workDir.path + sep)) {
      // A file outside the work dir (the cached source itself) is copied, never moved.
      const data = produced.data ?? (await fs.readFile(file!));
      if (key !== undefined) await this.cache.put(key, data, produced.mime);
      const saved = saveas ? await this.save(saveas, data, produced.mime, account) : undefined;
      return { output: { mime: produced.mime, size: data.length }, saved };
    }
    const saved = saveas ? await this.save(saveas, { file }, produced.mime, account) : undefined;
    const size = key === undefined ? (await fs.stat(file)).size : await this.cache.putFile(key, file, produced.mime);
    return { output: { mime: produced.mime, size }, saved };
  }

  /** The cache key of the steps this instance ran: reusable by any request for the same prefix. */
  private prefixKey(data: FopJobData, own: readonly PipelineStep[]): string {
    const prefix = own.map(formatStep).join('|');
    const base = data.intermediate ? `${data.intermediate.resultKey}|` : '';
    return resultKey(data.source.bucket, data.source.key, data.source.etag, `${base}${prefix}`);
  }

  private async handOn(
    job: Job<FopJobData, FopJobResult>,
    rest: readonly PipelineStep[],
    intermediateKey: string,
    mime: string,
    durationMs: number,
  ): Promise<FopJobResult> {
    const remaining = rest.map(formatStep).join('|');
    // The handed-on steps keep their numbers in the whole pipeline: after this job's own.
    const { before, total } = stepsOf(job.data);
    const ran = job.data.pipeline.split('|').length - rest.length;
    const data: FopJobData = { ...job.data, pipeline: remaining, intermediate: { resultKey: intermediateKey, mime }, stepsOf: { before: before + ran, total } };
    const queueName = this.dispatcher.queueOf('fop', data);
    // The handed-on job keeps this job's id, so waiters can follow it; a finished one of that id
    // is a leftover of an earlier run and would swallow this add (see removeFinishedJob).
    await removeFinishedJob(this.queues.get(queueName), job.id!);
    // In a flow the handed-on job joins this one's parent before this one completes, so the
    // parent still waits for the pipeline's end.
    const parent = job.parent?.id ? { id: job.parent.id, queue: job.parent.queueKey } : undefined;
    const flow = parent && { parent, failParentOnFailure: job.opts.failParentOnFailure, ignoreDependencyOnFailure: job.opts.ignoreDependencyOnFailure };
    await this.dispatcher.dispatch('fop', { data, jobId: job.id!, ...(flow && { flow }) });
    return { resultKey: job.data.resultKey, mime, size: 0, durationMs, continuedIn: queueName };
  }

  private async save(target: { bucket: string; key?: string }, body: NodeJS.ReadableStream | SavedBody, mime: string, account: Account): Promise<SavedObject> {
    const key = target.key ?? (await defaultSaveasKey(hashable(body)));
    const content = isSpooledFile(body) ? createReadStream(body.file) : body;
    // A bucket the save makes is the job's account's, never anyone else's.
    const info = await this.storage.put(target.bucket, key, content, { maxBytes: this.config.limits.maxUploadBytes, mime, owner: account });
    return { bucket: info.bucket, key: info.key, etag: info.etag };
  }
}

/** Writes a stream to `path`, for a body that must be read twice (hashed, then saved). */
async function spool(stream: NodeJS.ReadableStream, path: string): Promise<SavedBody> {
  await pipe(stream, createWriteStream(path));
  return { file: path };
}

/** Callers hand a bucket-only target the bytes or a file, never a bare stream, so it can be hashed first. */
function hashable(body: NodeJS.ReadableStream | SavedBody): SavedBody {
  if (Buffer.isBuffer(body) || isSpooledFile(body)) return body;
  throw new Error('a bucket-only saveas needs the result as bytes or a file, to name it by its qetag');
}

function isSpooledFile(body: NodeJS.ReadableStream | SavedBody): body is { file: string } {
  return !Buffer.isBuffer(body) && typeof (body as { file?: unknown }).file === 'string';
}

/** Where a saveas copy went. */
type SavedObject = { bucket: string; key: string; etag: string };

/** Where a job's steps sit in its whole pipeline: all of it, unless it runs one segment. */
function stepsOf(data: FopJobData): { before: number; total: number } {
  return data.stepsOf ?? { before: 0, total: data.pipeline.split('|').length };
}

/** The account a job acts for; a job from before accounts were recorded gets the least. */
function accountOf(data: FopJobData): Account {
  return data.account ?? ANONYMOUS_ACCOUNT;
}

/** True when BullMQ will not run the job again after this failure. */
function isFinalFailure(job: Job, failure: Error): boolean {
  return failure instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Turns any error into what BullMQ records: `[status] message`, unrecoverable below 500. */
function asJobFailure(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) return new UnrecoverableError(encodeFailure(499, `cancelled: ${String(signal.reason ?? 'by request')}`));
  const status = declaredStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined && status < 500) return new UnrecoverableError(encodeFailure(status, message));
  // A custom program that ran out of memory or hung would do the same on a retry.
  if ((error as { unrecoverable?: boolean }).unrecoverable) return new UnrecoverableError(encodeFailure(status ?? 500, message));
  return new Error(encodeFailure(status ?? 500, message));
}

function countLeading<T>(items: readonly T[], test: (item: T) => boolean): number {
  const index = items.findIndex((item) => !test(item));
  return index < 0 ? items.length : index;
}

/** The URL readers fetch a job's source at: its own URL, else the gateway's path of the object. */
function publicSourceUrl(publicUrl: string, source: FopJobData['source']): string {
  return source.url ?? `${publicUrl}/${encodeURIComponent(source.bucket)}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
}
