import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CachedResult, HotResultIndex, ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { RedisClient } from '@fopflow/queue';
import { REDIS_PRODUCER } from '../redis.module';

/** How often the results served from the index are marked used in the shared cache's LRU order, in ms. */
const TOUCH_INTERVAL_MS = 5000;

/** A result ready to send: its bytes in memory (sent in one write), or a stream of them. */
export interface ResultBody {
  mime: string;
  size: number;
  body: Buffer | Readable;
}

/**
 * The gateway's hot path for repeats of a fop URL: results it has answered before, found by
 * result key in a bounded in-memory index without a Redis round trip; a small result is held
 * whole and sent from memory, a larger one is opened from the result cache. A larger result whose
 * body is gone (evicted by another process) is forgotten and the request goes on as a miss; a
 * small one, which cannot change, is answered until the batch that tells the shared LRU order what
 * the index served (every few seconds, off the request) learns it was evicted, and then forgotten.
 */
@Injectable()
export class HotResults implements OnApplicationShutdown {
  private readonly index: HotResultIndex;
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(FOPFLOW_CONFIG) config: FopflowConfig,
    @Inject(REDIS_PRODUCER) private readonly redis: RedisClient,
    private readonly cache: ResultCache,
  ) {
    this.index = new HotResultIndex(config.hotResults);
    this.timer = setInterval(() => void this.touchUsed(), TOUCH_INTERVAL_MS).unref();
  }

  /** The result of `key` if the index has it and the cache still holds it; undefined otherwise. */
  async find(key: string): Promise<ResultBody | undefined> {
    const entry = this.index.get(key);
    if (!entry) return undefined;
    if (entry.body) return { mime: entry.mime, size: entry.size, body: entry.body };
    const opened = await this.cache.open(key, entry).catch(() => null);
    if (!opened) {
      this.index.delete(key);
      return undefined;
    }
    return { mime: opened.mime, size: opened.size, body: opened.stream };
  }

  /** Indexes a result just opened from the cache and answers it, read into memory when small enough to hold. */
  async keep(key: string, result: CachedResult): Promise<ResultBody> {
    if (!this.index.holdsBody(result.size)) {
      this.index.set(key, { mime: result.mime, size: result.size });
      return { mime: result.mime, size: result.size, body: result.stream };
    }
    const body = await buffer(result.stream);
    // A body that is not the size the cache recorded is answered as read, but never held.
    if (body.length === result.size) this.index.set(key, { mime: result.mime, size: result.size, body });
    return { mime: result.mime, size: body.length, body };
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Tells the shared order what was used, and forgets what the shared cache evicted meanwhile. */
  private async touchUsed(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const evicted = await this.cache.touch(this.index.takeUsed()).catch((): string[] => []);
    evicted.forEach((key) => this.index.delete(key));
  }
}
