import { Inject, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { JobHandler, type RedisClient } from '@fopflow/queue';
import { createObjectStorage, ObjectStorage } from '@fopflow/storage';
import {
  CommandRegistry,
  MAX_UFOP_UPLOAD_BYTES,
  ownerSlug,
  pushImage,
  UFOP_BUILD_QUEUE,
  UfopBuildError,
  UfopBuilder,
  UfopBuildJobData,
} from '@fopflow/ufop';
import { Job, UnrecoverableError } from 'bullmq';
import Docker from 'dockerode';
import { SCALER_REDIS } from './scaler.service';

/** Build log lines are written to Redis in batches at most this far apart, ms. */
const LOG_FLUSH_MS = 500;

/**
 * The builder: takes `ufop.build` jobs one at a time, turns the upload into an image (ufop.yaml →
 * Dockerfile → engine build), pushes it to the registry and records the version as ready, or as
 * failed with the reason. The log is kept line by line while it is written, so `fopctl logs`
 * follows a build in progress. A failed build changes nothing that runs: the current version
 * stays current. A `@nestjs/bullmq` processor: the framework makes its worker from the scaler's
 * BullModule connection (scaler.module.ts).
 */
// Builds are heavy and share one engine; one at a time keeps each one's log readable.
@Processor(UFOP_BUILD_QUEUE, { concurrency: 1, lockDuration: 60_000 })
@JobHandler('ufopBuild')
export class UfopBuildService extends WorkerHost implements OnApplicationShutdown {
  private readonly logger = new Logger('UfopBuilder');
  private readonly registry: CommandRegistry;
  private readonly storage: ObjectStorage;
  private readonly docker = new Docker();

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(SCALER_REDIS) redis: RedisClient,
  ) {
    super();
    this.registry = new CommandRegistry(redis);
    this.storage = createObjectStorage(config.storage);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`${UFOP_BUILD_QUEUE}: ${error.message}`);
  }

  /** Stops taking builds (the one running finishes), then lets go of the connection. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
    (this.worker.opts.connection as RedisClient).disconnect();
    this.registry.close();
  }

  async process(job: Job<UfopBuildJobData>): Promise<{ image: string; digest: string }> {
    const { name, version, owner, tarball } = job.data;
    const log = new BuildLog(this.registry, name, version);
    await this.registry.finishVersion(name, version, { state: 'building' });
    log.line(`building ${name} version ${version}`);
    try {
      const { data } = await this.storage.readBuffer(tarball.bucket, tarball.key, MAX_UFOP_UPLOAD_BYTES);
      const { buildTimeoutMs, buildNetwork, buildMemoryBytes, buildCpus } = this.config.ufop;
      const builder = new UfopBuilder({ docker: this.docker, buildTimeoutMs, buildNetwork, buildMemoryBytes, buildCpus });
      const built = await builder.build({ owner: ownerSlug(owner), name, version, tarball: data, registry: this.config.ufop.registry, onLog: (line) => log.line(line) });
      log.line(`built ${built.image} in ${built.durationMs} ms; pushing to ${this.config.ufop.registry}`);
      const { digest } = await pushImage(this.docker, built.image, { onLog: (line) => log.line(line) });
      log.line(`pushed ${built.image}@${digest}`);
      await log.flush();
      await this.registry.finishVersion(name, version, { state: 'ready', image: built.image, digest });
      this.logger.log(`${name} version ${version}: ready (${built.image})`);
      return { image: built.image, digest };
    } catch (error) {
      const message = error instanceof UfopBuildError ? error.message.split('\n')[0] : (error as Error).message;
      log.line(`build failed: ${message}`);
      await log.flush();
      await this.registry.finishVersion(name, version, { state: 'failed', error: message }).catch(() => undefined);
      this.logger.warn(`${name} version ${version}: ${message}`);
      // The upload is what it is: building it again would fail the same way.
      throw new UnrecoverableError(message);
    } finally {
      log.close();
    }
  }
}

/** Build log lines on their way to Redis, batched so a chatty build is not a write per line. */
class BuildLog {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: CommandRegistry,
    private readonly name: string,
    private readonly version: string,
  ) {}

  line(text: string): void {
    this.pending.push(text);
    this.timer ??= setTimeout(() => void this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() => this.registry.appendBuildLog(this.name, this.version, lines)).catch(() => undefined);
    return this.writing;
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
