import { Inject, Injectable } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames, commands, FopPipeline, FopSyntaxError, parsePipeline, SaveasTarget, splitSaveas } from '@fopflow/fop';
import { loadPools, PoolSettings, poolOf } from '@fopflow/keeper';

/** The pools of config/pools.json, read once; a command no pool runs cannot be submitted. */
@Injectable()
export class PoolCatalog {
  readonly pools: Record<string, PoolSettings>;

  constructor(@Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig) {
    this.pools = loadPools(config.poolsFile, commandNames());
  }

  /**
   * Parses one fop text as sync URLs and async jobs both take it: the pipeline and its saveas
   * suffix; 400 naming the bad token, a JSON step with steps after it, or a command no pool runs.
   */
  parseFop(text: string): { pipeline: FopPipeline; saveas?: SaveasTarget } {
    const split = splitSaveas(text);
    const pipeline = parsePipeline(split.pipeline, { maxSteps: this.config.limits.maxPipelineSteps });
    pipeline.steps.forEach((step, index) => {
      if (index < pipeline.steps.length - 1 && commands[step.command].output === 'json') {
        throw new FopSyntaxError(`step ${index + 1} '${step.command}' answers JSON, so no step may follow it`, step.command, index + 1);
      }
    });
    this.requireRunnable(pipeline);
    return { pipeline, saveas: split.saveas };
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
