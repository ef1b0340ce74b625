import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { ConfigModule, FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { fopflowLoggerModule } from '@fopflow/logging';
import { createRedis } from '@fopflow/queue';
import { InstanceRuntime, ProcessRuntime } from '@fopflow/runtime';
import { INSTANCE_RUNTIME, SCALER_REDIS, ScalerService } from './scaler.service';
import { createContainerRuntime } from './container-runtimes';
import { UfopBuildService } from './ufop-build.service';

@Module({
  imports: [ConfigModule, fopflowLoggerModule('scaler')],
  providers: [
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
