import { Logger, Module } from '@nestjs/common';
import { ResultCache, resultCacheOptions } from '@fopflow/cache';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig, processorModules } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { AvProcessor, DEFAULT_IMAGE_LIMITS, ImageProcessor, imageThreads, MediaPlanExecutor, setImageThreads, StepRunRegistry } from '@fopflow/media';
import { JobStatsRecorder } from '@fopflow/metrics';
import { PersistentJobStore } from '@fopflow/jobs';
import { createRedis, JobDispatcher, jobSettings, NOTIFY_QUEUE, QueueSet, jobHandlerCheck, type RedisClient } from '@fopflow/queue';
import { ObjectAccess } from '@fopflow/auth';
import { BucketInfo, bucketAccess, createObjectStorage, OBJECT_STORAGE, ObjectInfo, ObjectStorage } from '@fopflow/storage';
import { CustomCommandHost, WORKER_REDIS } from './custom-command.host';
import { FopJobProcessor } from './fop-job.processor';
import { FopWorkerService } from './fop-worker.service';
import { InstanceService } from './instance.service';
import { LeftoverSweeper } from './leftover.sweeper';
import { Keeper } from '@fopflow/keeper';
import { NotifyWorker } from './notify.worker';
import { PersistentJobTracker } from './persistent-job.tracker';
import { OutboundGuard } from '@fopflow/outbound';
import { PipelineRunner } from './pipeline.runner';
import { resolveImageThreads } from './concurrency';
import { SourceCache } from './source.cache';
import { SourceFetcher } from './source.fetcher';
import { processScratchDir } from './work-dir';

const REDIS = Symbol('REDIS');

/** The kinds of job this app consumes: start-up fails unless each has exactly one handler. */
const consumerCheck = jobHandlerCheck(['fop', 'notify']);

@Module({
  imports: [
    ConfigModule,
    fopflowLoggerModule('worker'),
    ...consumerCheck.imports,
    // The notify consumer is a @Processor. The fop consumers are not: their queues are per
    // command and tier, custom commands included, known only at run time, so FopWorkerService
    // opens them.
    ...processorModules(NOTIFY_QUEUE, 'fopflow-notify'),
  ],
  providers: [
    ...consumerCheck.providers,
    {
      provide: REDIS,
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => createRedis(config.redisUrl, 'worker', 'fopflow-worker'),
    },
    { provide: WORKER_REDIS, useExisting: REDIS },
    CustomCommandHost,
    {
      provide: OBJECT_STORAGE,
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => createObjectStorage(config.storage),
    },
    { provide: ObjectAccess, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => bucketAccess(storage) },
    {
      provide: ResultCache,
      inject: [REDIS, FOPFLOW_CONFIG, OBJECT_STORAGE],
      useFactory: (redis: RedisClient, config: FopflowConfig, storage: ObjectStorage) => new ResultCache(redis, resultCacheOptions(config, storage)),
    },
    {
      provide: SourceFetcher,
      inject: [FOPFLOW_CONFIG, OBJECT_STORAGE],
      useFactory: (config: FopflowConfig, storage: ObjectStorage) => {
        const cache = new SourceCache<ObjectInfo>({ dir: processScratchDir(config.workDir, 'sources'), maxBytes: config.sourceCacheBytes });
        return new SourceFetcher(storage, cache, config.limits.maxSourceBytes);
      },
    },
    {
      provide: MediaPlanExecutor,
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => {
        const threads = resolveImageThreads(config.concurrencyFile, config.imageThreadsOverride);
        if (threads !== undefined) setImageThreads(threads);
        Logger.log(`libvips threads per image: ${imageThreads()}`, 'Worker');
        const { maxInputPixels, maxOutputPixels, maxFrames, maxDurationS, ffmpegTimeLimitMs, maxSourceBytes } = config.limits;
        // The registry is checked here: a catalogue command without a run stops start-up, naming it.
        const registry = new StepRunRegistry();
        const images = new ImageProcessor({ ...DEFAULT_IMAGE_LIMITS, maxInputPixels, maxOutputPixels, maxFrames }, registry);
        const av = new AvProcessor({ maxDurationS, ffmpegTimeLimitMs }, registry);
        return new MediaPlanExecutor(images, av, maxSourceBytes, registry);
      },
    },
    {
      provide: PipelineRunner,
      inject: [FOPFLOW_CONFIG, MediaPlanExecutor, OBJECT_STORAGE, SourceFetcher, CustomCommandHost, ObjectAccess],
      useFactory: (
        config: FopflowConfig,
        executor: MediaPlanExecutor,
        storage: ObjectStorage,
        fetcher: SourceFetcher,
        custom: CustomCommandHost,
        access: ObjectAccess<BucketInfo>,
      ) => new PipelineRunner(executor, storage, fetcher, config.limits.maxSourceBytes, custom, access, new OutboundGuard({ allowedTargets: config.allowedTargets })),
    },
    { provide: JobStatsRecorder, inject: [REDIS], useFactory: (redis: RedisClient) => new JobStatsRecorder(redis) },
    {
      provide: PersistentJobStore,
      inject: [REDIS, FOPFLOW_CONFIG],
      useFactory: (redis: RedisClient, config: FopflowConfig) => new PersistentJobStore(redis, config.statusRetentionS),
    },
    { provide: QueueSet, inject: [REDIS], useFactory: (redis: RedisClient) => new QueueSet(redis) },
    {
      provide: JobDispatcher,
      inject: [QueueSet, FOPFLOW_CONFIG],
      useFactory: (queues: QueueSet, config: FopflowConfig) => new JobDispatcher((name) => queues.get(name), jobSettings(config)),
    },
    {
      provide: PersistentJobTracker,
      inject: [PersistentJobStore],
      useFactory: (store: PersistentJobStore) => new PersistentJobTracker(store),
    },
    { provide: Keeper, inject: [REDIS], useFactory: (redis: RedisClient) => new Keeper(redis) },
    LeftoverSweeper,
    FopJobProcessor,
    FopWorkerService,
    InstanceService,
    NotifyWorker,
  ],
})
export class WorkerModule {}
