import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A registry with the process defaults, labelled with the app that owns it. */
export function createRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** HTTP figures of the gateway. */
export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
  cache: Counter<'result'>;
}

/** Registers the gateway's request counters and latency histogram. */
export function registerHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: 'fopflow_http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'fopflow_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    cache: new Counter({
      name: 'fopflow_result_cache_requests_total',
      help: 'Fop URL lookups in the result cache, by result (hit or miss).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

/** Job counts of one queue, by BullMQ state. */
export type QueueDepthReader = () => Promise<Array<{ queue: string; counts: Record<string, number> }>>;

/** Registers `fopflow_queue_jobs{queue,state}`, read from the queues at scrape time. */
export function registerQueueDepth(registry: Registry, read: QueueDepthReader): Gauge<'queue' | 'state'> {
  return new Gauge({
    name: 'fopflow_queue_jobs',
    help: 'Jobs in each queue, by state (waiting, prioritized, delayed, active, completed, failed).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      // While Redis is down the series are absent; the scrape itself still succeeds.
      for (const { queue, counts } of await read().catch(() => [])) {
        for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
      }
    },
  });
}

/** The scaler's last decision per pool, as the pool metrics read it. */
export type PoolFiguresReader = () => Promise<
  Record<string, { pending: number; needed: number; desired: number; ready: number; starting: number; draining: number; arrivalPerS: number }>
>;

/** Registers `fopflow_pool_instances{pool,kind}`, `fopflow_pool_pending_jobs` and `fopflow_pool_arrival_per_second`. */
export function registerPoolMetrics(registry: Registry, read: PoolFiguresReader): void {
  const pending = new Gauge({ name: 'fopflow_pool_pending_jobs', help: 'Jobs waiting for a pool, as the scaler counted them.', labelNames: ['pool'], registers: [registry] });
  const arrivals = new Gauge({ name: 'fopflow_pool_arrival_per_second', help: 'Smoothed arrival rate of a pool.', labelNames: ['pool'], registers: [registry] });
  new Gauge({
    name: 'fopflow_pool_instances',
    help: 'Instances of a pool by kind: needed (before stabilization), desired, ready, starting, draining.',
    labelNames: ['pool', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      pending.reset();
      arrivals.reset();
      for (const [pool, figures] of Object.entries(await read().catch(() => ({})))) {
        for (const kind of ['needed', 'desired', 'ready', 'starting', 'draining'] as const) this.set({ pool, kind }, figures[kind]);
        pending.set({ pool }, figures.pending);
        arrivals.set({ pool }, figures.arrivalPerS);
      }
    },
  });
}

/** Redis's memory figures, as INFO memory answers them. */
export type RedisMemoryReader = () => Promise<{ usedBytes: number; maxBytes: number }>;

/**
 * Registers `fopflow_redis_memory_used_bytes` and `fopflow_redis_maxmemory_bytes` (0: no bound),
 * read at scrape time: with noeviction, a Redis at its bound refuses new jobs, so the alert
 * must fire before.
 */
export function registerRedisMemory(registry: Registry, read: RedisMemoryReader): void {
  const max = new Gauge({ name: 'fopflow_redis_maxmemory_bytes', help: 'Memory bound of the Redis holding the queues (0: none).', registers: [registry] });
  new Gauge({
    name: 'fopflow_redis_memory_used_bytes',
    help: 'Memory used by the Redis holding the queues.',
    registers: [registry],
    async collect() {
      this.reset();
      max.reset();
      const figures = await read().catch(() => undefined);
      if (!figures) return;
      this.set(figures.usedBytes);
      max.set(figures.maxBytes);
    },
  });
}

/** Reads INFO memory's used_memory and maxmemory through any client with `info`. */
export function redisMemoryReader(redis: { info(section: string): Promise<string> }): RedisMemoryReader {
  return async () => {
    const info = await redis.info('memory');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
  };
}
