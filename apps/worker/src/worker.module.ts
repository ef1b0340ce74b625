import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { ResultCache } from '@fopflow/cache';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { AvProcessor, DEFAULT_IMAGE_LIMITS, ImageProcessor } from '@fopflow/media';
import { JobStatsRecorder } from '@fopflow/metrics';
import { createRedis, JobDispatcher, jobSettings, PersistentJobStore, QueueSet, jobHandlerCheck } from '@fopflow/queue';
import { ObjectAccess } from '@fopflow/auth';
import { BucketInfo, bucketAccess, LocalDiskStorage, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { Redis } from 'ioredis';
import { CustomCommandHost, WORKER_REDIS } from './custom-command.host';
import { FopJobProcessor } from './fop-job.processor';
import { FopWorkerService } from './fop-worker.service';
import { InstanceService } from './instance.service';
import { LeftoverSweeper } from './leftover.sweeper';
import { Keeper } from '@fopflow/keeper';
import { NotifyWorker } from './notify.worker';
import { PersistentJobTracker } from './persistent-job.tracker';
import { PipelineRunner } from './pipeline.runner';

const REDIS = Symbol('REDIS');

/** The kinds of job this app consumes: start-up fails unless each has exactly one handler. */
const consumerCheck = jobHandlerCheck(['fop', 'notify']);

@Module({
  imports: [ConfigModule, fopflowLoggerModule('worker'), ...consumerCheck.imports],
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
      useFactory: (config: FopflowConfig) => new LocalDiskStorage(config.dataDir),
    },
    { provide: ObjectAccess, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => bucketAccess(storage) },
    {
      provide: ResultCache,
      inject: [REDIS, FOPFLOW_CONFIG],
      useFactory: (redis: Redis, config: FopflowConfig) =>
        new ResultCache(redis, { dir: join(config.dataDir, 'cache'), maxBytes: config.cacheMaxBytes }),
    },
    {
      provide: PipelineRunner,
      inject: [FOPFLOW_CONFIG, OBJECT_STORAGE, CustomCommandHost, ObjectAccess],
      useFactory: (config: FopflowConfig, storage: ObjectStorage, custom: CustomCommandHost, access: ObjectAccess<BucketInfo>) => {
        const { maxInputPixels, maxOutputPixels, maxFrames, maxDurationS, ffmpegTimeLimitMs, maxSourceBytes } = config.limits;
        const images = new ImageProcessor({ ...DEFAULT_IMAGE_LIMITS, maxInputPixels, maxOutputPixels, maxFrames });
        const av = new AvProcessor({ maxDurationS, ffmpegTimeLimitMs });
        return new PipelineRunner(images, av, storage, maxSourceBytes, custom, access);
      },
    },
    { provide: JobStatsRecorder, inject: [REDIS], useFactory: (redis: Redis) => new JobStatsRecorder(redis) },
    {
      provide: PersistentJobStore,
      inject: [REDIS, FOPFLOW_CONFIG],
      useFactory: (redis: Redis, config: FopflowConfig) => new PersistentJobStore(redis, config.statusRetentionS),
    },
    { provide: QueueSet, inject: [REDIS], useFactory: (redis: Redis) => new QueueSet(redis) },
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
    { provide: Keeper, inject: [REDIS], useFactory: (redis: Redis) => new Keeper(redis) },
    LeftoverSweeper,
    FopJobProcessor,
    FopWorkerService,
    InstanceService,
    NotifyWorker,
  ],
})
export class WorkerModule {}
