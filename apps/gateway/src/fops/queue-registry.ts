import { Inject, Injectable, Logger, OnModuleInit, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardInstance, InjectBullBoard } from '@bull-board/nestjs';
import { isCustomCommandName } from '@fopflow/fop';
import { parseFopQueueName, queueOptions, type RedisClient } from '@fopflow/queue';
import { Queue } from 'bullmq';
import { REDIS_PRODUCER } from '../redis.module';

/** Names of the queues the gateway registered, provided by GatewayModule.forRoot. */
export const QUEUE_NAMES = Symbol('QUEUE_NAMES');

/**
 * The gateway's queues by name: the official commands' as registered with @nestjs/bullmq at
 * start, and those of custom commands opened on first use (they are registered at run time) and
 * shown in Bull Board from then on.
 */
@Injectable()
export class QueueRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Queues');
  private readonly queues = new Map<string, Queue>();
  private readonly opened: Queue[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS_PRODUCER) private readonly redis: RedisClient,
    @InjectBullBoard() private readonly board: BullBoardInstance,
  ) {}

  /** Registers the queues of `names`; called once by the module factory. */
  static provider(names: string[]) {
    return { provide: QUEUE_NAMES, useValue: names };
  }

  onModuleInit(): void {
    const names = this.moduleRef.get<string[]>(QUEUE_NAMES, { strict: false });
    for (const name of names) this.add(name, this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
  }

  /** The queue of `name`; throws for a name that is neither an official nor a custom command's queue. */
  get(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue) return queue;
    const parsed = parseFopQueueName(name);
    if (!parsed || !isCustomCommandName(parsed.command)) throw new Error(`queue '${name}' is not registered`);
    const opened = new Queue(name, queueOptions(this.redis));
    this.opened.push(opened);
    this.board.addQueue(new BullMQAdapter(opened));
    return this.add(name, opened);
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.opened.map((queue) => queue.close().catch(() => undefined)));
  }

  private add(name: string, queue: Queue): Queue {
    // Without a listener an 'error' event (Redis down) would throw and end the process.
    queue.on('error', (error) => this.logger.debug(`${name}: ${error.message}`));
    this.queues.set(name, queue);
    return queue;
  }
}
