import { Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { AccessKeyStore } from '@fopflow/auth';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import {
  deliver,
  DeliveryResult,
  OutboundGuard,
  qiniuCallbackAuthorization,
  signStandardWebhook,
  webhookBackoffStrategy,
  WebhookDeliveryError,
} from '@fopflow/outbound';
import { PersistentJobStore } from '@fopflow/jobs';
import { NOTIFY_QUEUE, JobHandler, type RedisClient } from '@fopflow/queue';
import { inJobLogContext } from '@fopflow/logging';
import { inJobSpan } from '@fopflow/tracing';
import { Job, UnrecoverableError } from 'bullmq';
import { NotifyJobData } from './persistent-job.tracker';

/** Webhooks delivered at once by one worker instance. */
const NOTIFY_CONCURRENCY = 16;

/**
 * Runs the parent of each async job's flow once its items have ended, and delivers its webhook:
 * the status JSON, signed per Standard Webhooks for native jobs and the Qiniu way for pfop jobs,
 * retried on the configured schedule (BullMQ keeps the pending retries in Redis, so they survive
 * restarts). After the last failure the job's code becomes 4, callback failed. A `@nestjs/bullmq`
 * processor: the framework makes its worker from the worker app's BullModule connection
 * (worker.module.ts); it starts taking jobs once the app has bootstrapped.
 */
// `autorun: false`: the retry schedule is configuration, which a decorator cannot read, so it
// joins the worker's settings in onApplicationBootstrap, before the worker takes its first job.
@Processor(NOTIFY_QUEUE, { concurrency: NOTIFY_CONCURRENCY, runRetryDelay: 1000, autorun: false })
@JobHandler('notify')
export class NotifyWorker extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Notify');
  private readonly keys: AccessKeyStore;
  private readonly guard: OutboundGuard;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly store: PersistentJobStore,
  ) {
    super();
    this.keys = new AccessKeyStore(config.accessKeys);
    this.guard = new OutboundGuard({ allowedTargets: config.allowedTargets });
  }

  onApplicationBootstrap(): void {
    // BullMQ reads the strategy from the worker's settings each time a job fails.
    this.worker.opts.settings = { ...this.worker.opts.settings, backoffStrategy: webhookBackoffStrategy(this.config.webhookRetryScheduleS) };
    this.worker.run().catch((error: Error) => this.worker.emit('error', error));
  }

  /** Stops taking webhooks (those being delivered finish), then lets go of the connection. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
    (this.worker.opts.connection as RedisClient).disconnect();
  }

  process(job: Job<NotifyJobData>): Promise<DeliveryResult | undefined> {
    return inJobLogContext(job, this.logger, () => inJobSpan(job, () => this.attempt(job)));
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.debug(error.message);
  }

  /** Delivers the webhook; a job without a notifyUrl (the parent of every async job's flow) just ends. */
  private async attempt(job: Job<NotifyJobData>): Promise<DeliveryResult | undefined> {
    const id = job.data.persistentId;
    const [meta, status] = await Promise.all([this.store.meta(id), this.store.status(id)]);
    if (!meta || !status) throw new UnrecoverableError(`job ${id} is gone; nothing to notify`);
    if (!meta.notifyUrl) return undefined;
    // The body is the status without the notify record itself, as Qiniu's callback body.
    const { notify: _notify, ...payload } = status;
    const body = JSON.stringify(payload);
    const result = await deliver({ url: meta.notifyUrl, body, headers: this.sign(meta.kind, meta.owner, id, meta.notifyUrl, body) }, this.guard);
    await this.store.recordNotify(id, meta.notifyUrl, result.outcome === 'delivered' ? 'delivered' : 'pending', {
      at: Date.now(),
      outcome: result.outcome,
      ...(result.status !== undefined && { status: result.status }),
      ...(result.error && { error: result.error }),
    });
    if (result.outcome === 'delivered') return result;
    if (result.outcome === 'gone' || result.outcome === 'blocked') {
      throw new UnrecoverableError(`${result.outcome}: ${result.error ?? `status ${result.status}`}`);
    }
    throw new WebhookDeliveryError(result);
  }

  private sign(kind: 'native' | 'pfop', owner: string, id: string, url: string, body: string): Record<string, string> {
    const key = this.keys.find(owner);
    if (!key) return {};
    if (kind === 'pfop') return { authorization: qiniuCallbackAuthorization(key.accessKey, key.secretKey, url, body) };
    // webhook-id is the job's id: stable across retries, the receiver's idempotency key.
    return { ...signStandardWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secrets: [key.secretKey] }) };
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<NotifyJobData> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    const meta = await this.store.meta(job.data.persistentId);
    if (meta?.notifyUrl) await this.store.recordNotify(meta.id, meta.notifyUrl, 'failed');
    this.logger.warn(`webhook of job ${job.data.persistentId} failed for good: ${error.message}`);
  }
}
