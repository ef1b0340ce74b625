import { Logger } from '@nestjs/common';
import { duplicateRedis, type RedisClient } from '@fopflow/queue';
import { CommandRecord, CommandRegistry, COMMANDS_CHANGED_CHANNEL } from './command.registry';

/** How often the view is re-read even when no change was announced (a lost message, a restart). */
export const CATALOG_REFRESH_MS = 2000;

/**
 * A process's view of the registered custom commands, for the hot path: parsing a fop must not
 * cost a Redis round trip per request. Re-read on every announced change and every few seconds.
 */
export class CommandCatalog {
  private readonly logger = new Logger('CommandCatalog');
  private records = new Map<string, CommandRecord>();
  private timer?: NodeJS.Timeout;
  private subscriber?: RedisClient;
  private loading?: Promise<void>;

  constructor(
    readonly registry: CommandRegistry,
    private readonly redis: RedisClient,
    private readonly refreshMs = CATALOG_REFRESH_MS,
  ) {}

  async start(): Promise<void> {
    // A connection without an offline queue refuses commands until it is up.
    if (this.redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        this.redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.refresh().catch((error: Error) => this.logger.warn(`first read (the next poll tries again): ${error.message}`));
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
    this.subscriber = duplicateRedis(this.redis, { maxRetriesPerRequest: null, lazyConnect: false });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', () => void this.refresh().catch(() => undefined));
    await this.subscriber.subscribe(COMMANDS_CHANGED_CHANNEL).catch(() => undefined);
  }

  /** Re-reads the registry now (also after this process changed it, so its next request sees it). */
  refresh(): Promise<void> {
    this.loading ??= this.registry
      .list()
      .then((records) => {
        this.records = new Map(records.map((record) => [record.name, record]));
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  get(name: string): CommandRecord | undefined {
    return this.records.get(name);
  }

  close(): void {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    this.registry.close();
  }

  /** Nest calls this on shutdown when the catalog is a provider. */
  onApplicationShutdown(): void {
    this.close();
  }
}
