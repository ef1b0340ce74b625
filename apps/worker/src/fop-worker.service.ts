import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames } from '@fopflow/fop';
import { JobStatsRecorder } from '@fopflow/metrics';
import { createRedis, queueOptions, FopJobData, FopJobResult, fopQueueName, JobHandler } from '@fopflow/queue';
import { inJobLogContext } from '@fopflow/logging';
import { inJobSpan } from '@fopflow/tracing';
import { RateLimiterOptions, UnrecoverableError, Worker } from 'bullmq';
import { CustomCommandHost } from './custom-command.host';
import { listenForCancels } from './cancel.listener';
import { resolveConcurrency } from './concurrency';
import { FopJobProcessor } from './fop-job.processor';
import { PersistentJobTracker } from './persistent-job.tracker';
import { InstanceRouting } from './pipeline.routing';
import { tierShares } from './tier-shares';

/** Pause of a worker's fetch loop after a Redis error, in ms. */
const WORKER_RETRY_DELAY_MS = 1000;

/**
 * One BullMQ Worker per queue this instance consumes (its commands × every tier), each command's
 * concurrency split between the tiers by weight. Shutting down stops taking jobs at once and
 * waits for active ones up to the grace period.
 */
@Injectable()
@JobHandler('fop')
export class FopWorkerService implements OnApplicationShutdown {
  private readonly logger = new Logger('FopWorker');
  private readonly workers = new Map<string, Worker<FopJobData, FopJobResult>>();
  private routing?: InstanceRouting;
  private stopCancels?: () => void;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly processor: FopJobProcessor,
    private readonly stats: JobStatsRecorder,
    private readonly tracker: PersistentJobTracker,
    private readonly custom: CustomCommandHost,
  ) {}

  /** The commands this instance consumes. */
  commands(): string[] {
    const known = commandNames();
    const wanted = this.config.workerCommands.length ? this.config.workerCommands : known;
    const custom = new Set(CustomCommandHost.customOf(wanted));
    const unknown = wanted.filter((command) => !(known as string[]).includes(command) && !custom.has(command));
    if (unknown.length) throw new Error(`FOPFLOW_WORKER_COMMANDS: unknown command(s) ${unknown.join(', ')}`);
    return wanted;
  }

  /** Jobs this instance is running now, over all its queues. */
  get inFlight(): number {
    return this.active;
  }

  private active = 0;
  private markClosed!: () => void;
  /** Resolves once every consumer has closed (its jobs finished, or the grace period ran out). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  /**
   * Creates the queue consumers without taking jobs yet: the instance warms up first. Called by
   * InstanceService once custom commands' registrations are read (a rate limit is one of them).
   */
  createConsumers(): void {
    const commands = this.commands();
    this.routing = new InstanceRouting(new Set(commands));
    const concurrency = resolveConcurrency(commands, this.config.concurrencyFile, this.config.concurrencyOverride);
    // A UFOP instance serves one job at a time: its sandbox was sized (flavor) for one, and a
    // program that dies then fails only the job it held.
    for (const command of CustomCommandHost.customOf(commands)) if (this.custom.record(command)?.kind === 'ufop') concurrency[command] = 1;
    const weights = Object.fromEntries(Object.entries(this.config.tierSettings).map(([tier, settings]) => [tier, settings.weight]));
    for (const [command, jobsAtOnce] of Object.entries(concurrency)) {
      for (const [tier, share] of Object.entries(tierShares(jobsAtOnce, weights))) {
        const name = fopQueueName(command, tier);
        this.workers.set(name, this.startWorker(name, command, tier, share));
      }
    }
    this.stopCancels = listenForCancels(this.config.redisUrl, ({ queue, jobId }) => {
      if (this.workers.get(queue)?.cancelJob(jobId, 'cancelled by request')) this.logger.log(`cancelled ${queue} ${jobId}`);
    });
    this.logger.log(`${this.workers.size} queues: ${Object.entries(concurrency).map(([c, n]) => `${c}×${n}`).join(', ')}`);
  }

  /** Starts taking jobs from every queue. */
  startConsuming(): void {
    for (const worker of this.workers.values()) void worker.run().catch((error: Error) => this.logger.error(error.message));
  }

  async onApplicationShutdown(): Promise<void> {
    this.logger.log(`finishing active jobs (grace ${this.config.shutdownGraceMs} ms)`);
    this.stopCancels?.();
    const workers = [...this.workers.values()];
    const graceful = Promise.all(workers.map((worker) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), this.config.shutdownGraceMs);
    });
    const result = await Promise.race([graceful, expired]);
    clearTimeout(timer);
    if (result === 'expired') {
      // Jobs still active go back to waiting through BullMQ's stalled check and run elsewhere.
      this.logger.warn('grace period over; closing with jobs still active');
      await Promise.all(workers.map((worker) => worker.close(true)));
    }
    await this.custom.close();
    this.markClosed();
    this.logger.log('stopped');
  }

  /**
   * A third-party service's rate, as BullMQ's limiter: it holds across every worker of the queue,
   * so the service sees at most that many requests a second whatever the number of instances.
   * Each tier's queue gets the rate in full: tiers are separate queues to BullMQ.
   */
  private limiter(command: string): RateLimiterOptions | undefined {
    const record = this.custom.record(command);
    const rate = record?.kind === 'remote' ? Number(record.remote?.ratePerS ?? 0) : 0;
    if (!(rate > 0)) return undefined;
    // Whole jobs per window: 2.5/s is 2 per 800 ms, 0.5/s is 1 per 2 s.
    const max = Math.max(1, Math.floor(rate));
    return { max, duration: Math.round((1000 * max) / rate) };
  }

  private startWorker(queueName: string, command: string, tier: string, concurrency: number): Worker<FopJobData, FopJobResult> {
    const connection = createRedis(this.config.redisUrl, 'worker', `fopflow-worker-${queueName}`);
    const routing = this.routing!;
    const worker = new Worker<FopJobData, FopJobResult>(
      queueName,
      (job, _token, signal) => inJobLogContext(job, this.logger, () => inJobSpan(job, () => this.processor.process(job, routing, signal ?? new AbortController().signal))),
      {
        ...queueOptions(connection),
        concurrency,
        limiter: this.limiter(command),
        autorun: false,
        // A worker killed mid-job holds its lock until it expires; then the stalled check gives
        // the job to another instance.
        lockDuration: this.config.jobLockMs,
        stalledInterval: this.config.jobLockMs,
        // BullMQ waits 15 s after a connection error before polling again; a Redis blip should
        // cost about a second of throughput, not fifteen.
        runRetryDelay: WORKER_RETRY_DELAY_MS,
      },
    );
    const quietly = (what: string, work: Promise<unknown>) => void work.catch((error: Error) => this.logger.warn(`${what}: ${error.message}`));
    worker.on('active', (job) => {
      this.active++;
      quietly('status', this.tracker.active(job));
    });
    worker.on('progress', (job, progress) => quietly('status', this.tracker.progress(job, progress)));
    worker.on('completed', (job, result) => {
      this.active--;
      quietly('stats', this.stats.record(command, tier, 'completed', result.durationMs / 1000));
    });
    worker.on('failed', (job, error) => {
      if (!job) return;
      if (job.processedOn) this.active = Math.max(0, this.active - 1);
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (!final) return;
      const durationS = job.processedOn ? (Date.now() - job.processedOn) / 1000 : 0;
      quietly('stats', this.stats.record(command, tier, 'failed', durationS));
      // The processor wrote the item's end before BullMQ heard of it; this covers failures it
      // never saw (a job stalled past its limit). Ending an ended item again changes nothing.
      quietly('status', this.tracker.failed(job, error));
    });
    worker.on('closed', () => connection.disconnect());
    // While Redis is away every reconnect attempt errors; say each new problem once, not every time.
    let lastError = '';
    worker.on('error', (error) => {
      if (error.message !== lastError) this.logger.error(`${queueName}: ${error.message}`);
      lastError = error.message;
    });
    return worker;
  }
}
