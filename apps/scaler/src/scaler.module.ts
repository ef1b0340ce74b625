import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig, processorModules } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { createRedis, jobHandlerCheck } from '@fopflow/queue';
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
    // The UFOP builder is a @Processor.
    ...processorModules(UFOP_BUILD_QUEUE, 'fopflow-ufop-builder'),
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
