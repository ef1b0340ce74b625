import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AccessKeyStore, Account, qiniuSign, signaturesEqual } from '@fopflow/auth';
import { ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { FopPipeline, FopSyntaxError, isAsyncOnly, SaveasTarget, writesObjectSet } from '@fopflow/fop';
import { declaredStatus } from '@fopflow/errors';
import { FopJobData, FopProducer, JobDispatcher, resultKey, type RedisClient } from '@fopflow/queue';
import { currentLogContext } from '@fopflow/logging';
import { traceCarrier } from '@fopflow/tracing';
import { ObjectInfo } from '@fopflow/storage';
import { createHash } from 'node:crypto';
import { GatewayError } from '../http/error.filter';
import { BacklogGate } from '../jobs/backlog.gate';
import { REDIS_PRODUCER } from '../redis.module';
import { PoolCatalog } from '../pools/pool-catalog';
import { HotResults, ResultBody } from './hot-results';
import { QueueRegistry } from './queue-registry';
import { SourceVersions } from './source-versions';
import { SyncWaiters } from './sync-waiters';

/** A processed result ready to stream, and whether the cache already held it. */
export interface FopAnswer {
  result: ResultBody;
  resultKey: string;
  cache: 'hit' | 'miss';
}

/** A parsed fop URL: the pipeline to run and where to save its result, if anywhere. */
export interface FopRequest {
  pipeline: FopPipeline;
  saveas?: SaveasTarget;
  /** The access key whose signature authorized the saveas. */
  saveasSigner?: string;
}

/**
 * The sync fop flow: parse, find a repeat in the in-memory index, else look up the result cache
 * once, else enqueue, wait and open the job's result. The gateway reads only the source's
 * metadata (for its etag), never its bytes.
 */
@Injectable()
export class FopService implements OnApplicationShutdown {
  private readonly producer: FopProducer;
  private readonly keys: AccessKeyStore;
  private readonly waiters: SyncWaiters;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(REDIS_PRODUCER) private readonly redis: RedisClient,
    private readonly cache: ResultCache,
    private readonly hot: HotResults,
    private readonly sources: SourceVersions,
    private readonly queues: QueueRegistry,
    private readonly pools: PoolCatalog,
    private readonly backlog: BacklogGate,
    dispatcher: JobDispatcher,
  ) {
    this.keys = new AccessKeyStore(config.accessKeys);
    this.waiters = new SyncWaiters(redis, config.syncWaitMs);
    this.producer = new FopProducer({
      redisUrl: config.redisUrl,
      connection: redis,
      queue: (name) => queues.get(name),
      dispatcher,
    });
  }

  /**
   * Parses the fop of a sync URL; 400 naming the bad token. `signedUrl` is the URL without its
   * scheme (`host/path?query`), which a saveas signature covers up to `/sign/`. `account` is
   * whose processing this is (the reader, else the bucket's owner), for private custom commands.
   */
  parse(text: string, signedUrl: string, account?: string): FopRequest {
    const { pipeline, saveas } = this.pools.parseFop(text, account);
    pipeline.steps.forEach((step, index) => {
      if (isAsyncOnly(step)) {
        const what = writesObjectSet(step) ? 'writes a set of objects (a playlist and segments, or a series of images), so it ' : '';
        throw new FopSyntaxError(`${step.command}: ${what}runs only as an async job (POST /v1/jobs or /pfop/), not in a fop URL`, step.command, index + 1);
      }
    });
    if (!saveas) return { pipeline };
    const signer = this.verifySaveasSign(saveas, signedUrl);
    return { pipeline, saveas: { bucket: saveas.bucket, key: saveas.key }, saveasSigner: signer };
  }

  /**
   * Answers the result of the request over bucket/key: from the cache, or by running a job that
   * acts for `account` (the worker checks what it reads and writes against it again). The caller
   * has checked the source and every object the fop names against `account` already. `gone`
   * aborts when the client goes away: a job nobody else waits for is then withdrawn.
   * A repeat found in the in-memory index needs neither Redis nor a stat within sourceEtagTtlMs.
   */
  async process(bucket: string, key: string, request: FopRequest, account: Account, tier = this.config.defaultTier, gone?: AbortSignal): Promise<FopAnswer> {
    // A saveas request always runs a job (the job writes the object); the worker still reuses a
    // cached result instead of processing again.
    const kept = request.saveas ? undefined : await this.sources.current(bucket, key);
    if (kept) {
      const id = resultKey(bucket, key, kept.info.etag, request.pipeline.normalized);
      const result = await this.hot.find(id);
      if (result) return { result, resultKey: id, cache: 'hit' };
    }
    this.requireRedis();
    try {
      // What is queued is decided on the source's version as it is now, never on a kept one.
      const source = kept?.fresh ? kept.info : await this.sources.stat(bucket, key);
      return await this.run(bucket, key, source, request, account, tier, gone);
    } catch (error) {
      if (declaredStatus(error) === undefined && isConnectionError(error)) this.requireRedis(true);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }

  private async run(
    bucket: string,
    key: string,
    source: ObjectInfo,
    { pipeline, saveas }: FopRequest,
    account: Account,
    tier: string,
    gone?: AbortSignal,
  ): Promise<FopAnswer> {
    const id = resultKey(bucket, key, source.etag, pipeline.normalized);
    if (!saveas) {
      const cached = await this.cache.get(id);
      if (cached) return { result: await this.hot.keep(id, cached), resultKey: id, cache: 'hit' };
    }
    // The same gate as async jobs: past the tier's maxBacklog nothing more is queued.
    await this.backlog.admit(tier, this.config.tierSettings[tier], tier === 'free');
    const data: FopJobData = {
      source: { bucket, key, etag: source.etag, size: source.size },
      pipeline: pipeline.normalized,
      ...(saveas && { saveas }),
      account,
      tier,
      resultKey: id,
      requestedAt: Date.now(),
      requestId: currentLogContext().requestId,
      trace: traceCarrier(),
    };
    const jobId = saveas ? createHash('sha256').update(`${id}\n${saveas.bucket}\n${saveas.key ?? ''}`).digest('hex') : id;
    const deadline = Date.now() + this.config.syncWaitMs;
    await this.waiters.join(jobId);
    let waiting = true;
    try {
      // A second round only when the first met a job finished before this request: its result
      // may have been evicted since, or its failure may have been a passing one.
      for (let round = 0; round < 2; round++) {
        const job = await this.producer.enqueue(data, jobId);
        // The queue of the pipeline's last segment: where the job to wait on is.
        const queueName = job.queueName;
        const outcome = await this.producer.follow(queueName, job, deadline, gone);
        if (outcome.state === 'timeout') {
          waiting = false;
          const withdrawn = await this.stopWaiting(queueName, jobId);
          if (gone?.aborted) throw new GatewayError(499, 'the client closed the connection before the result was ready');
          throw new GatewayError(
            504,
            withdrawn
              ? `no worker started the job within syncWaitMs ${this.config.syncWaitMs}; it was withdrawn, try again later`
              : `processing took longer than syncWaitMs ${this.config.syncWaitMs}; the result will be cached when it ends`,
          );
        }
        if (outcome.state === 'completed') {
          if (outcome.result.saved) this.sources.forget(outcome.result.saved.bucket, outcome.result.saved.key);
          // The job says what it made: its body is opened without asking the cache's index again.
          const result = await this.cache.open(outcome.result.resultKey, outcome.result);
          if (result) return { result: await this.hot.keep(outcome.result.resultKey, result), resultKey: id, cache: 'miss' };
        } else {
          const stale = (outcome.finishedOn ?? Infinity) < data.requestedAt;
          if (outcome.status < 500 || !stale || round === 1) throw new GatewayError(outcome.status, outcome.error);
        }
        await this.producer.discard(queueName, jobId);
      }
      throw new GatewayError(503, 'result could not be kept in the result cache; try again');
    } finally {
      if (waiting) await this.waiters.leave(jobId).catch(() => undefined);
    }
  }

  /**
   * This request stops waiting on `jobId`; when it was the last one waiting and no worker has
   * taken the job yet, the job is withdrawn: nobody would read its result. Answers whether it was.
   */
  private async stopWaiting(queueName: string, jobId: string): Promise<boolean> {
    if ((await this.waiters.leave(jobId)) > 0) return false;
    return this.producer.withdraw(queueName, jobId);
  }

  /** The access key that signed the saveas; 401 when the signature is missing or wrong. */
  private verifySaveasSign(saveas: SaveasTarget, signedUrl: string): string {
    if (!saveas.sign) throw new GatewayError(401, 'saveas in a fop URL needs /sign/<AccessKey>:<EncodedSign> after it');
    const key = this.keys.find(saveas.sign.accessKey);
    if (!key) throw new GatewayError(401, `saveas: unknown access key '${saveas.sign.accessKey}'`);
    const signIndex = signedUrl.lastIndexOf('/sign/');
    if (!signaturesEqual(saveas.sign.signature, qiniuSign(key.secretKey, signedUrl.slice(0, signIndex)))) {
      throw new GatewayError(401, 'saveas: signature does not match; sign the URL without its scheme, up to /sign/, with HMAC-SHA1');
    }
    return key.accessKey;
  }

  private requireRedis(lost = false): void {
    if (lost || this.redis.status !== 'ready') throw new GatewayError(503, `queue store unavailable (redis ${this.redis.status})`);
  }
}

/** Errors ioredis raises when the connection is gone rather than when a command is wrong. */
function isConnectionError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|Reached the max retries/i.test(message);
}
