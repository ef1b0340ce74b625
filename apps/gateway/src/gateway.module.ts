import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { ResultCache, resultCacheOptions } from '@fopflow/cache';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { commandNames } from '@fopflow/fop';
import { PersistentJobStore } from '@fopflow/jobs';
import { fopQueueNames, JobDispatcher, jobSettings, NOTIFY_QUEUE, queueOptions, type RedisClient } from '@fopflow/queue';
import { createObjectStorage, OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { FopService } from './fops/fop.service';
import { HotResults } from './fops/hot-results';
import { SourceVersions } from './fops/source-versions';
import { MediaController } from './fops/media.controller';
import { PrivatePlaylistReader } from './fops/private-playlist.reader';
import { QueueRegistry } from './fops/queue-registry';
import { AccessPolicy } from './auth/access.policy';
import { RateLimits } from './auth/rate-limits';
import { HealthController } from './health/health.controller';
import { PoolCatalog } from './pools/pool-catalog';
import { PoolsController } from './pools/pools.controller';
import { Keeper, PoolStateStore, poolOf } from '@fopflow/keeper';
import { BacklogGate } from './jobs/backlog.gate';
import { JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { QiniuController } from './jobs/qiniu.controller';
import { MetricsController } from './metrics/metrics.controller';
import { metricsProviders } from './metrics/metrics.providers';
import { ObjectsController } from './objects/objects.controller';
import { StylesController } from './styles/styles.controller';
import { StyleResolver } from './styles/style.resolver';
import { REDIS_PRODUCER, RedisModule } from './redis.module';
import { FormUploadController } from './upload/form-upload.controller';
import { ResumableUploadController } from './upload/resumable-upload.controller';
import { UploadService } from './upload/upload.service';
import { CommandsController } from './commands/commands.controller';
import { ConsoleController } from './console/console.controller';
import { CommandCatalog, CommandRegistry, UFOP_BUILD_QUEUE } from '@fopflow/ufop';

/** Path of Bull Board. */
export const BULL_BOARD_ROUTE = '/admin/queues';

/** Path of the operator's web console (ConsoleController). */
export const CONSOLE_ROUTE = '/console';

/** The gateway ("FopGate"). Its queues follow from the command catalogue and the configured tiers. */
@Module({})
export class GatewayModule {
  /** `config` is what every part of the gateway is given, its operator token included. */
  static forRoot(config: FopflowConfig): DynamicModule {
    const queueNames = fopQueueNames(commandNames(), config.tiers);
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        fopflowLoggerModule('gateway'),
        RedisModule,
        BullModule.forRootAsync({
          inject: [REDIS_PRODUCER],
          useFactory: (redis: RedisClient) => queueOptions(redis),
        }),
        BullModule.registerQueue(...queueNames.map((name) => ({ name })), { name: UFOP_BUILD_QUEUE }, { name: NOTIFY_QUEUE }),
        BullBoardModule.forRoot({ route: BULL_BOARD_ROUTE, adapter: ExpressAdapter }),
        BullBoardModule.forFeature(...[...queueNames, UFOP_BUILD_QUEUE, NOTIFY_QUEUE].map((name) => ({ name, adapter: BullMQAdapter }))),
      ],
      // MediaController matches any /<bucket>/<key>, so it comes after every fixed route.
      controllers: [HealthController, MetricsController, ObjectsController, StylesController, JobsController, QiniuController, PoolsController, CommandsController, ConsoleController, FormUploadController, ResumableUploadController, MediaController],
      providers: [
        QueueRegistry.provider([...queueNames, UFOP_BUILD_QUEUE, NOTIFY_QUEUE]),
        QueueRegistry,
        {
          provide: JobDispatcher,
          inject: [QueueRegistry, FOPFLOW_CONFIG, PoolCatalog],
          // An async item's pipeline is split where it crosses pools; a custom command is a pool of its own.
          useFactory: (queues: QueueRegistry, c: FopflowConfig, pools: PoolCatalog) =>
            new JobDispatcher((name) => queues.get(name), jobSettings(c), (command) => poolOf(pools.pools, command) ?? command),
        },
        {
          provide: OBJECT_STORAGE,
          inject: [FOPFLOW_CONFIG],
          useFactory: (c: FopflowConfig) => createObjectStorage(c.storage),
        },
        {
          provide: ResultCache,
          inject: [REDIS_PRODUCER, FOPFLOW_CONFIG, OBJECT_STORAGE],
          useFactory: (redis: RedisClient, c: FopflowConfig, storage: ObjectStorage) => new ResultCache(redis, resultCacheOptions(c, storage)),
        },
        FopService,
        PrivatePlaylistReader,
        HotResults,
        SourceVersions,
        StyleResolver,
        {
          provide: PersistentJobStore,
          inject: [REDIS_PRODUCER, FOPFLOW_CONFIG],
          useFactory: (redis: RedisClient, c: FopflowConfig) => new PersistentJobStore(redis, c.statusRetentionS),
        },
        BacklogGate,
        AccessPolicy,
        {
          provide: CommandCatalog,
          inject: [REDIS_PRODUCER],
          useFactory: async (redis: RedisClient) => {
            const catalog = new CommandCatalog(new CommandRegistry(redis), redis);
            await catalog.start();
            return catalog;
          },
        },
        PoolCatalog,
        { provide: Keeper, inject: [REDIS_PRODUCER], useFactory: (redis: RedisClient) => new Keeper(redis) },
        { provide: PoolStateStore, inject: [REDIS_PRODUCER], useFactory: (redis: RedisClient) => new PoolStateStore(redis) },
        {
          provide: RateLimits,
          inject: [REDIS_PRODUCER, FOPFLOW_CONFIG],
          // Only the rate fields: a tier's weight and maxBacklog are no limits here, and a
          // pipeline's owner (a string) would stop start-up as a bad number.
          useFactory: (redis: RedisClient, c: FopflowConfig) =>
            new RateLimits(redis, {
              ...Object.fromEntries(
                Object.entries(c.tierSettings).map(([tier, { requestsPerSecond, commandRequestsPerSecond, concurrentConnections }]) => [
                  tier,
                  { requestsPerSecond, commandRequestsPerSecond, concurrentConnections },
                ]),
              ),
              anonymous: c.anonymousLimits,
            }),
        },
        JobsService,
        UploadService,
        ...metricsProviders,
      ],
    };
  }
}
