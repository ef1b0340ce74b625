import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ResultCache } from '@fopflow/cache';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import { claimWorkRoot } from './work-dir';

/**
 * At start, before any job: removes what crashed processes left on disk — work dirs of workers
 * that no longer heartbeat, and `.part` uploads (saveas writes them too) and result-cache temp
 * files nobody has written for leftoverMaxAgeS. Sibling workers sharing the data dir keep theirs.
 */
@Injectable()
export class LeftoverSweeper implements OnModuleInit {
  private readonly logger = new Logger('LeftoverSweeper');

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly cache: ResultCache,
  ) {}

  async onModuleInit(): Promise<void> {
    // Leftovers cost disk, not correctness: a sweep that cannot finish must not stop the worker.
    await this.sweep().catch((error: Error) => this.logger.warn(`leftovers of earlier runs not swept: ${error.message}`));
  }

  private async sweep(): Promise<void> {
    const maxAgeMs = this.config.leftoverMaxAgeS * 1000;
    const removed = [
      ...(await claimWorkRoot(this.config.workDir)),
      ...(await this.cache.sweepTemp(maxAgeMs)),
      ...((await this.storage.sweepInterruptedWrites?.(maxAgeMs)) ?? []),
    ];
    if (removed.length) this.logger.log(`removed ${removed.length} leftover(s) of earlier runs: ${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', ...' : ''}`);
  }
}
