import { DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { createRedis, queueOptions } from '@fopflow/queue';
import { FopflowConfig } from './config';
import { ConfigModule, FOPFLOW_CONFIG } from './config.module';

/**
 * What an app imports for its `@nestjs/bullmq` `@Processor` consumer of `queue`: the connection
 * the framework makes its worker from (BullMQ duplicates it for blocking reads; the processor
 * lets go of it at shutdown), named `connectionName` in Redis, and the queue's registration,
 * which is what makes the framework look for the processor at all.
 */
export function processorModules(queue: string, connectionName: string): DynamicModule[] {
  return [
    BullModule.forRootAsync({
      imports: [ConfigModule],
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => queueOptions(createRedis(config.redisUrl, 'worker', connectionName)),
    }),
    BullModule.registerQueue({ name: queue }),
  ];
}
