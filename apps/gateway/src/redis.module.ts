import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { createRedis, type RedisClient } from '@fopflow/queue';

/** The gateway's one producer connection: no offline queue, so a dead Redis is a 503 at once. */
export const REDIS_PRODUCER = Symbol('REDIS_PRODUCER');

@Global()
@Module({
  providers: [
    {
      provide: REDIS_PRODUCER,
      inject: [FOPFLOW_CONFIG],
      useFactory: (config: FopflowConfig) => createRedis(config.redisUrl, 'producer', 'fopflow-gateway'),
    },
  ],
  exports: [REDIS_PRODUCER],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_PRODUCER) private readonly redis: RedisClient) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
