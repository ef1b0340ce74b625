import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames } from '@fopflow/fop';
import { Keeper, loadPools, PoolStateStore } from '@fopflow/keeper';
import { PersistentJobStore } from '@fopflow/jobs';
import { type RedisClient } from '@fopflow/queue';
import { InstanceRuntime } from '@fopflow/runtime';
import { createObjectStorage } from '@fopflow/storage';
import { readFileSync } from 'node:fs';
import { CustomPools } from './custom-pools';
import { JobRecordsReconciler } from './job-records.reconciler';
import { LeaderLock } from './leader.lock';
import { PoolObserver } from './pool.observer';
import { PoolReconciler } from './pool.reconciler';

export const SCALER_REDIS = Symbol('SCALER_REDIS');
export const INSTANCE_RUNTIME = Symbol('INSTANCE_RUNTIME');

/** Lifetime of the leader lock past its last renewal, in ticks. */
const LOCK_TICKS = 5;

/**
 * Each tick, while it holds the leader lock, reconciles every pool: reads its backlog and
 * instances, decides, and starts or retires instances through the configured runtime. Every
 * FOPFLOW_RECONCILE_INTERVAL_S it also repairs the async job records a crash left behind: one
 * process at a time must do that, and the leader lock already says which.
 */
@Injectable()
export class ScalerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scaler');
  private readonly reconcilers: PoolReconciler[] = [];
  private custom?: CustomPools;
  private readonly lock: LeaderLock;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private leading = false;
  private readonly jobs: JobRecordsReconciler;
  /** When the job records are next reconciled, ms since epoch. */
  private nextReconcileAt = 0;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(SCALER_REDIS) private readonly redis: RedisClient,
    @Inject(INSTANCE_RUNTIME) private readonly runtime: InstanceRuntime,
  ) {
    this.lock = new LeaderLock(redis, config.scalerTickMs * LOCK_TICKS);
    this.jobs = new JobRecordsReconciler(redis, new PersistentJobStore(redis, config.statusRetentionS), createObjectStorage(config.storage), {
      graceMs: config.reconcileGraceS * 1000,
      webhookRetryScheduleS: config.webhookRetryScheduleS,
      retentionS: config.statusRetentionS,
      retentionCount: config.jobRetentionCount,
    });
  }

  onApplicationBootstrap(): void {
    const pools = loadPools(this.config.poolsFile, commandNames());
    const keeper = new Keeper(this.redis);
    const state = new PoolStateStore(this.redis);
    const concurrency = readConcurrency(this.config.concurrencyFile);
    const env = instanceEnv(this.config);
    for (const [name, settings] of Object.entries(pools)) {
      const perInstance = Math.max(...settings.commands.map((command) => concurrency[command] ?? 1));
      const observer = new PoolObserver(this.redis, settings.commands, this.config.tiers);
      this.reconcilers.push(new PoolReconciler(name, settings, observer, keeper, state, this.runtime, env, perInstance));
    }
    this.custom = new CustomPools(this.redis, keeper, state, this.runtime, env, this.config);
    this.logger.log(`runtime ${this.runtime.name}; pools ${Object.keys(pools).join(', ')}; tick ${this.config.scalerTickMs} ms`);
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.lock.release().catch(() => undefined);
    await Promise.all(this.reconcilers.map((reconciler) => reconciler.close()));
    await this.custom?.close();
    await this.jobs.close();
    // The process runtime's instances are this process's children: they stop with it, gracefully.
    if (this.runtime.name === 'process') await this.runtime.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule(this.config.scalerTickMs)), delayMs);
  }

  private async tick(): Promise<void> {
    try {
      const leading = await this.lock.acquire();
      if (leading !== this.leading) this.logger.log(leading ? 'leading: this scaler acts' : 'standing by: another scaler leads');
      this.leading = leading;
      if (!leading) return;
      const custom = (await this.custom?.sync().catch((error: Error) => this.logger.warn(`custom commands: ${error.message}`))) ?? [];
      for (const reconciler of [...this.reconcilers, ...custom]) {
        await reconciler.tick().catch((error: Error) => this.logger.warn(`${reconciler.name}: ${error.message}`));
      }
      if (Date.now() >= this.nextReconcileAt) {
        this.nextReconcileAt = Date.now() + this.config.reconcileIntervalS * 1000;
        await this.reconcileJobs();
      }
    } catch (error) {
      this.logger.warn(`tick: ${(error as Error).message}`);
    }
  }

  private async reconcileJobs(): Promise<void> {
    try {
      const { records, ...repaired } = await this.jobs.pass();
      const done = Object.entries(repaired).filter(([, count]) => count > 0);
      if (done.length) this.logger.warn(`job records (${records}) repaired: ${done.map(([what, count]) => `${what} ${count}`).join(', ')}`);
    } catch (error) {
      this.logger.warn(`job records: ${(error as Error).message}`);
    }
  }
}

/** What every instance inherits from the scaler's configuration. */
export function instanceEnv(config: FopflowConfig): Record<string, string> {
  const pass = [
    'REDIS_URL',
    'FOPFLOW_DATA_DIR',
    'FOPFLOW_KEYS',
    'FOPFLOW_TIERS',
    'FOPFLOW_TIERS_FILE',
    'FOPFLOW_ALLOWED_TARGETS',
    'FOPFLOW_WORK_DIR',
    'FOPFLOW_JOB_LOCK_MS',
    'FOPFLOW_CONCURRENCY',
    'FOPFLOW_CONCURRENCY_FILE',
    // Instances on other hosts (docker, swarm) reach objects and result bodies only through S3.
    'FOPFLOW_STORAGE',
    'FOPFLOW_S3_ENDPOINT',
    'FOPFLOW_S3_BUCKET',
    'FOPFLOW_S3_PATH_STYLE',
    'FOPFLOW_CACHE_FRONT_MAX_BYTES',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'FOPFLOW_IMAGE_THREADS',
    'FOPFLOW_SOURCE_CACHE_BYTES',
  ];
  const env: Record<string, string> = { REDIS_URL: config.redisUrl, FOPFLOW_DATA_DIR: config.dataDir };
  for (const name of pass) if (process.env[name]) env[name] = process.env[name]!;
  for (const [name, value] of Object.entries(process.env)) {
    if ((name.startsWith('FOPFLOW_MAX_') || name.startsWith('FOPFLOW_UFOP_')) && value) env[name] = value;
  }
  return env;
}

function readConcurrency(file: string): Record<string, number> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { commands?: Record<string, number> };
    return parsed.commands ?? {};
  } catch {
    return {};
  }
}
