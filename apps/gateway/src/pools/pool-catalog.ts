import { Inject, Injectable } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames, FopPipeline, FopSyntaxError } from '@fopflow/fop';
import { loadPools, PoolSettings, poolOf } from '@fopflow/keeper';

/** The pools of config/pools.json, read once; a command no pool runs cannot be submitted. */
@Injectable()
export class PoolCatalog {
  readonly pools: Record<string, PoolSettings>;

  constructor(@Inject(FOPFLOW_CONFIG) config: FopflowConfig) {
    this.pools = loadPools(config.poolsFile, commandNames());
  }

  /** Throws 400 naming the first step whose command has no pool: it would wait forever. */
  requireRunnable(pipeline: FopPipeline): void {
    pipeline.steps.forEach((step, index) => {
      if (!poolOf(this.pools, step.command)) {
        throw new FopSyntaxError(`${step.command}: no worker pool runs this command (step ${index + 1})`, step.command, index + 1);
      }
    });
  }
}
