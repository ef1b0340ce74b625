import { Injectable } from '@nestjs/common';
import { TierSettings } from '@fopflow/config';
import { parseFopQueueName } from '@fopflow/queue';
import { GatewayError } from '../http/error.filter';
import { QueueRegistry } from '../fops/queue-registry';

/** How long a tier's counted backlog is reused before counting again, in ms. */
const BACKLOG_CACHE_MS = 500;

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_S = 5;

/**
 * Refuses submissions to a tier whose backlog is over its maxBacklog, before anything is written.
 * Pending counts the way BullMQ stores it: waiting + prioritized + delayed, over every command.
 */
@Injectable()
export class BacklogGate {
  private readonly counted = new Map<string, { at: number; pending: Promise<number> }>();

  constructor(private readonly queues: QueueRegistry) {}

  /** Throws 429 (free callers) or 503 with Retry-After when `tier` is full. */
  async admit(tier: string, settings: TierSettings, free: boolean): Promise<void> {
    const pending = await this.pending(tier);
    if (pending < settings.maxBacklog) return;
    const error = new GatewayError(free ? 429 : 503, `tier '${tier}' has ${pending} pending jobs, at its maxBacklog ${settings.maxBacklog}; retry later`);
    throw Object.assign(error, { headers: { 'Retry-After': String(RETRY_AFTER_S) } });
  }

  /** Jobs of `tier` not yet taken by a worker. */
  pending(tier: string): Promise<number> {
    const cached = this.counted.get(tier);
    if (cached && Date.now() - cached.at < BACKLOG_CACHE_MS) return cached.pending;
    const pending = Promise.all(
      this.queues
        .all()
        .filter((queue) => parseFopQueueName(queue.name)?.tier === tier)
        .map(async (queue) => {
          const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
          return counts.waiting + counts.prioritized + counts.delayed;
        }),
    ).then((counts) => counts.reduce((sum, count) => sum + count, 0));
    this.counted.set(tier, { at: Date.now(), pending });
    pending.catch(() => this.counted.delete(tier));
    return pending;
  }
}
