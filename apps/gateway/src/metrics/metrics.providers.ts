import { Provider } from '@nestjs/common';
import {
  createRegistry,
  HttpMetrics,
  redisMemoryReader,
  registerHttpMetrics,
  registerJobStats,
  registerPoolMetrics,
  registerQueueDepth,
  registerRedisMemory,
} from '@fopflow/metrics';
import { PoolStateStore } from '@fopflow/keeper';
import type { RedisClient } from '@fopflow/queue';
import { Registry } from 'prom-client';
import { QueueRegistry } from '../fops/queue-registry';
import { REDIS_PRODUCER } from '../redis.module';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const HTTP_METRICS = Symbol('HTTP_METRICS');

/** States counted per queue; `prioritized` and `delayed` too, since BullMQ keeps them apart from `wait`. */
const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

export const metricsProviders: Provider[] = [
  {
    provide: METRICS_REGISTRY,
    inject: [REDIS_PRODUCER, QueueRegistry, PoolStateStore],
    useFactory: (redis: RedisClient, queues: QueueRegistry, pools: PoolStateStore): Registry => {
      const registry = createRegistry('gateway');
      registerJobStats(registry, redis);
      registerRedisMemory(registry, redisMemoryReader(redis));
      registerPoolMetrics(registry, () => pools.decisions());
      registerQueueDepth(registry, () =>
        Promise.all(queues.all().map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...QUEUE_STATES) }))),
      );
      return registry;
    },
  },
  {
    provide: HTTP_METRICS,
    inject: [METRICS_REGISTRY],
    useFactory: (registry: Registry): HttpMetrics => registerHttpMetrics(registry),
  },
];
