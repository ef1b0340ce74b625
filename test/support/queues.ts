import { fopQueueName, QueueCounter } from '../../bench/support/queue-counts';

const TIERS = ['paid', 'free'];

/** Job counts per command over both tiers' queues; each command's queues are opened once. */
export class CommandCounts {
  private readonly counters = new Map<string, QueueCounter>();

  constructor(private readonly redisUrl: string) {}

  /** Completed, failed, and still open (waiting, delayed or active). */
  async of(command: string): Promise<{ completed: number; failed: number; open: number }> {
    let counter = this.counters.get(command);
    if (!counter) {
      counter = new QueueCounter(this.redisUrl, TIERS.map((tier) => fopQueueName(command, tier)));
      this.counters.set(command, counter);
    }
    const totals = await counter.totals();
    return { completed: totals.completed, failed: totals.failed, open: totals.pending + totals.active };
  }

  async close(): Promise<void> {
    await Promise.all([...this.counters.values()].map((counter) => counter.close()));
  }
}
