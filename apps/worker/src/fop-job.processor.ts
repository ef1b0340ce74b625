import { Inject, Injectable } from '@nestjs/common';
import { ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { parsePipeline } from '@fopflow/fop';
import { ImageProcessor } from '@fopflow/media';
import { declaredStatus, encodeFailure, FopJobData, FopJobResult } from '@fopflow/queue';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { Job, UnrecoverableError } from 'bullmq';

/**
 * Runs one fop job: fetches the source itself, runs every step in-process, stores the result in
 * the cache and answers a reference. Failures that retrying cannot change are unrecoverable.
 */
@Injectable()
export class FopJobProcessor {
  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly cache: ResultCache,
    private readonly images: ImageProcessor,
  ) {}

  /** Processes `job`; throws an error whose message carries the HTTP status it maps to. */
  async process(job: Job<FopJobData, FopJobResult>): Promise<FopJobResult> {
    const started = performance.now();
    try {
      const { source, pipeline, resultKey } = job.data;
      // The worker trusts nothing it reads from Redis: the pipeline is parsed again.
      const { steps } = parsePipeline(pipeline, { maxSteps: this.config.limits.maxPipelineSteps });
      const { info, data } = await this.storage.readBuffer(source.bucket, source.key, this.config.limits.maxSourceBytes);
      if (info.etag !== source.etag) {
        throw Object.assign(new Error(`source ${source.bucket}/${source.key} changed while the job waited; request it again`), {
          status: 409,
        });
      }
      const output = await this.images.run(steps, data);
      await this.cache.put(resultKey, output.data, output.mime);
      return { resultKey, mime: output.mime, size: output.data.length, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      const status = declaredStatus(error);
      const message = error instanceof Error ? error.message : String(error);
      if (status !== undefined && status < 500) throw new UnrecoverableError(encodeFailure(status, message));
      throw new Error(encodeFailure(status ?? 500, message));
    }
  }
}
