import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { createRedis, jobHandlerCheck, queueOptions } from '@fopflow/queue';
import { InstanceRuntime, ProcessRuntime } from '@fopflow/runtime';
import { INSTANCE_RUNTIME, SCALER_REDIS, ScalerService } from './scaler.service';
import { createContainerRuntime } from './container-runtimes';
import { UFOP_BUILD_QUEUE } from '@fopflow/ufop';
import { UfopBuildService } from './ufop-build.service';

/** The kinds of job this app consumes: start-up fails unless each has exactly one handler. */
const consumerCheck = jobHandlerCheck(['ufopBuild']);

@Module({
  imports: [
    ConfigModule,
    fopflowLoggerModule('scaler'),
    ...consumerCheck.imports,
    // The connection of the app's @Processor consumers (the UFOP builder); BullMQ duplicates it for
    // its blocking reads, and the builder lets go of it at shutdown.
    BullModule.forRootAsync({
      imports: [ConfigModule],
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => queueOptions(createRedis(config.redisUrl, 'worker', 'fopflow-ufop-builder')),
    }),
    // Registering the queue is what makes the framework look for its @Processor.
    BullModule.registerQueue({ name: UFOP_BUILD_QUEUE }),
  ],
  providers: [
    ...consumerCheck.providers,
    { provide: SCALER_REDIS, inject: [FOPFLOW_CONFIG], useFactory: (config: FopflowConfig) => createRedis(config.redisUrl, 'worker', 'fopflow-scaler') },
    {
      provide: INSTANCE_RUNTIME,
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig): InstanceRuntime =>
        config.runtime === 'process'
          ? new ProcessRuntime({ workerEntry: join(__dirname, '..', '..', 'worker', 'src', 'main.js'), cwd: process.cwd() })
          : createContainerRuntime(config.runtime),
    },
    ScalerService,
    UfopBuildService,
  ],
})
export class ScalerModule {}
