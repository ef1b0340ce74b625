import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';

/** Names of the queues the gateway registered, provided by GatewayModule.forRoot. */
export const QUEUE_NAMES = Symbol('QUEUE_NAMES');

/** The gateway's queues by name, as registered with @nestjs/bullmq. */
@Injectable()
export class QueueRegistry implements OnModuleInit {
  private readonly logger = new Logger('Queues');
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly moduleRef: ModuleRef) {}

  /** Registers the queues of `names`; called once by the module factory. */
  static provider(names: string[]) {
    return { provide: QUEUE_NAMES, useValue: names };
  }

  onModuleInit(): void {
    const names = this.moduleRef.get<string[]>(QUEUE_NAMES, { strict: false });
    for (const name of names) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      // Without a listener an 'error' event (Redis down) would throw and end the process.
      queue.on('error', (error) => this.logger.debug(`${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
  }

  /** The queue of `name`; throws for a name the gateway did not register. */
  get(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`queue '${name}' is not registered`);
    return queue;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }
}
