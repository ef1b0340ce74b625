import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames } from '@fopflow/fop';
import { JobStatsRecorder } from '@fopflow/metrics';
import { createRedis, FopJobData, FopJobResult, fopQueueName } from '@fopflow/queue';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { resolveConcurrency } from './concurrency';
import { FopJobProcessor, PipelineRouting } from './fop-job.processor';

/** Pause of a worker's fetch loop after a Redis error, in ms. */
const WORKER_RETRY_DELAY_MS = 1000;

/**
 * One BullMQ Worker per queue this instance consumes (its commands × every tier). Shutting down
 * stops taking jobs at once and waits for active ones up to the grace period.
 */
@Injectable()
export class FopWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FopWorker');
  private readonly workers: Worker<FopJobData, FopJobResult>[] = [];
  private readonly handOnQueues = new Map<string, Queue>();
  private handOnConnection?: Redis;
  private ownCommands?: Set<string>;

  /** Which steps this instance runs, and the queues that take the others. */
  private readonly routing: PipelineRouting = {
    consumes: (command) => (this.ownCommands ??= new Set(this.commands())).has(command),
    queue: (name) => {
      let queue = this.handOnQueues.get(name);
      if (!queue) {
        this.handOnConnection ??= createRedis(this.config.redisUrl, 'worker', 'fopflow-worker-handon');
        queue = new Queue(name, { connection: this.handOnConnection });
        queue.on('error', (error) => this.logger.warn(`${name}: ${error.message}`));
        this.handOnQueues.set(name, queue);
      }
      return queue;
    },
  };

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly processor: FopJobProcessor,
    private readonly stats: JobStatsRecorder,
  ) {}

  /** The commands this instance consumes. */
  commands(): string[] {
    const known = commandNames();
    const wanted = this.config.workerCommands.length ? this.config.workerCommands : known;
    const unknown = wanted.filter((command) => !(known as string[]).includes(command));
    if (unknown.length) throw new Error(`FOPFLOW_WORKER_COMMANDS: unknown command(s) ${unknown.join(', ')}`);
    return wanted;
  }

  onApplicationBootstrap(): void {
    const concurrency = resolveConcurrency(this.commands(), this.config.concurrencyFile, this.config.concurrencyOverride);
    for (const [command, jobsAtOnce] of Object.entries(concurrency)) {
      for (const tier of this.config.tiers) this.workers.push(this.startWorker(fopQueueName(command, tier), command, tier, jobsAtOnce));
    }
    this.logger.log(`consuming ${this.workers.length} queues: ${Object.entries(concurrency).map(([c, n]) => `${c}×${n}`).join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.logger.log(`finishing active jobs (grace ${this.config.shutdownGraceMs} ms)`);
    const graceful = Promise.all(this.workers.map((worker) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), this.config.shutdownGraceMs);
    });
    const result = await Promise.race([graceful, expired]);
    clearTimeout(timer);
    if (result === 'expired') {
      // Jobs still active go back to waiting through BullMQ's stalled check and run elsewhere.
      this.logger.warn('grace period over; closing with jobs still active');
      await Promise.all(this.workers.map((worker) => worker.close(true)));
    }
    await Promise.all([...this.handOnQueues.values()].map((queue) => queue.close()));
    this.handOnConnection?.disconnect();
    this.logger.log('stopped');
  }

  private startWorker(queueName: string, command: string, tier: string, concurrency: number): Worker<FopJobData, FopJobResult> {
    const connection = createRedis(this.config.redisUrl, 'worker', `fopflow-worker-${queueName}`);
    const worker = new Worker<FopJobData, FopJobResult>(queueName, (job, _token, signal) => this.processor.process(job, this.routing, signal ?? new AbortController().signal), {
      connection,
      concurrency,
      // BullMQ waits 15 s after a connection error before polling again; a Redis blip should
      // cost about a second of throughput, not fifteen.
      runRetryDelay: WORKER_RETRY_DELAY_MS,
    });
    worker.on('completed', (_job, result) => void this.record(command, tier, 'completed', result.durationMs / 1000));
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const durationS = job.processedOn ? (Date.now() - job.processedOn) / 1000 : 0;
      if (final) void this.record(command, tier, 'failed', durationS);
    });
    worker.on('closed', () => connection.disconnect());
    // While Redis is away every reconnect attempt errors; say each new problem once, not every time.
    let lastError = '';
    worker.on('error', (error) => {
      if (error.message !== lastError) this.logger.error(`${queueName}: ${error.message}`);
      lastError = error.message;
    });
    worker.on('ready', () => (lastError = ''));
    return worker;
  }

  private async record(command: string, tier: string, outcome: 'completed' | 'failed', durationS: number): Promise<void> {
    await this.stats.record(command, tier, outcome, durationS).catch((error: Error) => this.logger.warn(`stats: ${error.message}`));
  }
}
