import { Queue } from 'bullmq';
import type { RedisClient } from './connection';
import { queueOptions } from './queue-prefix';

/** Queues opened on first use over one shared connection, and closed together. */
export class QueueSet {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: RedisClient,
    /** Told of a queue's connection errors, which BullMQ would otherwise throw unhandled. */
    private readonly onError: (queue: string, error: Error) => void = () => undefined,
  ) {}

  /** The queue of `name`, opened once. */
  get(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, queueOptions(this.connection));
      queue.on('error', (error) => this.onError(name, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Nest's shutdown hook, for apps that provide a QueueSet. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}
