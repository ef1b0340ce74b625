import { createRedis } from '@fopflow/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PipelineRouting } from './fop-job.processor';

/** Routing of one instance: the commands it runs, and lazily opened queues of the others. */
export class InstanceRouting implements PipelineRouting {
  private readonly queues = new Map<string, Queue>();
  private connection?: Redis;

  constructor(
    private readonly redisUrl: string,
    private readonly ownCommands: ReadonlySet<string>,
    private readonly onError: (queue: string, error: Error) => void,
  ) {}

  consumes(command: string): boolean {
    return this.ownCommands.has(command);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.connection ??= createRedis(this.redisUrl, 'worker', 'fopflow-worker-handon');
      queue = new Queue(name, { connection: this.connection });
      queue.on('error', (error) => this.onError(name, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.connection?.disconnect();
  }
}
