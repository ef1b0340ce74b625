import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CachedResult, ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commands, FopPipeline, FopSyntaxError, parsePipeline } from '@fopflow/fop';
import { declaredStatus, FopJobData, FopProducer, fopQueueName, resultKey } from '@fopflow/queue';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { Redis } from 'ioredis';
import { GatewayError } from '../http/error.filter';
import { REDIS_PRODUCER } from '../redis.module';
import { QueueRegistry } from './queue-registry';

/** A processed result ready to stream, and whether the cache already held it. */
export interface FopAnswer {
  result: CachedResult;
  resultKey: string;
  cache: 'hit' | 'miss';
}

/**
 * The sync fop flow: parse, look up the cache, else enqueue and wait. The gateway reads only the
 * source's metadata (for its etag), never its bytes.
 */
@Injectable()
export class FopService implements OnApplicationShutdown {
  private readonly producer: FopProducer;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(REDIS_PRODUCER) private readonly redis: Redis,
    private readonly cache: ResultCache,
    queues: QueueRegistry,
  ) {
    this.producer = new FopProducer({
      redisUrl: config.redisUrl,
      connection: redis,
      queue: (name) => queues.get(name),
      jobRetentionS: config.jobRetentionS,
    });
  }

  /** Parses a fop text into a pipeline whose steps can run in order; 400 naming the bad token. */
  parse(text: string): FopPipeline {
    const pipeline = parsePipeline(text, { maxSteps: this.config.limits.maxPipelineSteps });
    pipeline.steps.forEach((step, index) => {
      if (index < pipeline.steps.length - 1 && commands[step.command].output === 'json') {
        throw new FopSyntaxError(
          `step ${index + 1} '${step.command}' answers JSON, so no step may follow it`,
          step.command,
          index + 1,
        );
      }
    });
    return pipeline;
  }

  /** Answers the result of `pipeline` over bucket/key: from the cache, or by running a job. */
  async process(bucket: string, key: string, pipeline: FopPipeline, tier = this.config.defaultTier): Promise<FopAnswer> {
    this.requireRedis();
    try {
      return await this.run(bucket, key, pipeline, tier);
    } catch (error) {
      if (declaredStatus(error) === undefined && isConnectionError(error)) this.requireRedis(true);
      throw error;
    }
  }

  private async run(bucket: string, key: string, pipeline: FopPipeline, tier: string): Promise<FopAnswer> {
    const source = await this.storage.stat(bucket, key);
    const id = resultKey(bucket, key, source.etag, pipeline.normalized);
    const cached = await this.cache.get(id);
    if (cached) return { result: cached, resultKey: id, cache: 'hit' };

    const queueName = fopQueueName(pipeline.steps[0].command, tier);
    const data: FopJobData = {
      source: { bucket, key, etag: source.etag, size: source.size },
      pipeline: pipeline.normalized,
      tier,
      resultKey: id,
      requestedAt: Date.now(),
    };
    // A second round only when the first met a job finished before this request: its result
    // may have been evicted since, or its failure may have been a passing one.
    for (let round = 0; round < 2; round++) {
      const job = await this.producer.enqueue(queueName, data);
      const outcome = await this.producer.wait(queueName, job, this.config.syncWaitMs);
      if (outcome.state === 'timeout') {
        throw new GatewayError(504, `processing took longer than syncWaitMs ${this.config.syncWaitMs}; the result will be cached when it ends`);
      }
      if (outcome.state === 'completed') {
        const result = await this.cache.get(id);
        if (result) return { result, resultKey: id, cache: 'miss' };
      } else {
        const stale = (outcome.finishedOn ?? Infinity) < data.requestedAt;
        if (outcome.status < 500 || !stale || round === 1) throw new GatewayError(outcome.status, outcome.error);
      }
      await this.producer.discard(queueName, id);
    }
    throw new GatewayError(503, 'result could not be kept in the result cache; try again');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
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
