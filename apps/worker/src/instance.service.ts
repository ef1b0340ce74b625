import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { HEARTBEAT_INTERVAL_MS, InstanceRecord, InstanceState, Keeper } from '@fopflow/keeper';
import { INSTANCE_ENV } from '@fopflow/runtime';
import { hostname } from 'node:os';
import { CustomCommandHost } from './custom-command.host';
import { FopWorkerService } from './fop-worker.service';
import { PipelineRunner } from './pipeline.runner';
import { warmUp } from './warmup';

/**
 * This instance's life in Keeper: starting → warming (one small job per command) → ready (taking
 * jobs) → draining (SIGTERM: no new jobs, finishing held ones) → gone. Heartbeats carry the state
 * and the jobs in flight; the scaler counts only ready instances as capacity.
 */
@Injectable()
export class InstanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Instance');
  private readonly identity: Omit<InstanceRecord, 'state' | 'inFlight' | 'heartbeatAt'>;
  private state: InstanceState = 'starting';
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly keeper: Keeper,
    private readonly workers: FopWorkerService,
    private readonly runner: PipelineRunner,
    private readonly custom: CustomCommandHost,
  ) {
    this.identity = {
      id: process.env[INSTANCE_ENV.id] || `${hostname()}-${process.pid}`,
      pool: process.env[INSTANCE_ENV.pool] || 'all',
      version: process.env[INSTANCE_ENV.version] || '1',
      runtime: process.env[INSTANCE_ENV.runtime] || 'process',
      host: hostname(),
      pid: process.pid,
      commands: workers.commands(),
      startedAt: Date.now(),
    };
  }

  /**
   * Starts custom commands' sandboxes, creates the queue consumers, warms up (a sandbox warms by
   * answering /health), then takes jobs and reports ready.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.state = 'warming';
    await this.beat();
    const started = performance.now();
    await this.custom.start(this.identity.commands);
    this.workers.createConsumers();
    await warmUp(this.runner, this.config.workDir, this.identity.commands);
    const warmupMs = Math.round(performance.now() - started);
    this.workers.startConsuming();
    this.state = 'ready';
    await this.beat();
    this.logger.log(`${this.identity.id} (pool ${this.identity.pool}, version ${this.identity.version}) warmed up in ${warmupMs} ms`);
  }

  /** First of the shutdown hooks to matter: say "draining" before the consumers close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.state = 'draining';
    await this.beat();
  }

  async onApplicationShutdown(): Promise<void> {
    // Heartbeats go on, saying "draining", until the last held job has ended.
    await this.workers.closed;
    clearInterval(this.timer);
    await this.keeper.remove(this.identity.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    await this.keeper
      .heartbeat({ ...this.identity, state: this.state, inFlight: this.workers.inFlight })
      .catch((error: Error) => this.logger.debug(`heartbeat: ${error.message}`));
  }
}
