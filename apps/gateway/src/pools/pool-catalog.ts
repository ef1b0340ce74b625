import { Inject, Injectable } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { commandNames, commands, CustomStep, FopPipeline, FopSyntaxError, isCustomStep, ownHostOf, OwnHostRule, parsePipeline, SaveasTarget, splitSaveas, writesObjectSet } from '@fopflow/fop';
import { loadPools, PoolSettings, poolOf } from '@fopflow/keeper';
import { CommandCatalog, mayRun } from '@fopflow/ufop';
import { GatewayError } from '../http/error.filter';

/**
 * The pools of config/pools.json, read once, and the custom commands registered at run time: a
 * command nothing can run is refused at submission, not left waiting in a queue.
 */
@Injectable()
export class PoolCatalog {
  readonly pools: Record<string, PoolSettings>;
  /** The public URL's host: a mark URL on it names a stored object, any other is fetched from outside. */
  private readonly isOwnHost: OwnHostRule;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(CommandCatalog) readonly custom: Pick<CommandCatalog, 'get'>,
  ) {
    this.pools = loadPools(config.poolsFile, commandNames());
    this.isOwnHost = ownHostOf(config.publicUrl);
  }

  /**
   * Parses one fop text as sync URLs and async jobs both take it: the pipeline and its saveas
   * suffix; 400 naming the bad token, a JSON step with steps after it, or a command no pool runs.
   * `account` is whose processing this is (the caller, or the bucket's owner): private custom
   * commands run only for their owner.
   */
  parseFop(text: string, account?: string): { pipeline: FopPipeline; saveas?: SaveasTarget } {
    const split = splitSaveas(text);
    const pipeline = parsePipeline(split.pipeline, {
      maxSteps: this.config.limits.maxPipelineSteps,
      customCommands: (name) => this.custom.get(name) !== undefined,
      isOwnHost: this.isOwnHost,
    });
    pipeline.steps.forEach((step, index) => {
      if (isCustomStep(step)) return this.requireCustomRunnable(step, index + 1, account);
      if (index < pipeline.steps.length - 1 && commands[step.command].output === 'json') {
        throw new FopSyntaxError(`step ${index + 1} '${step.command}' answers JSON, so no step may follow it`, step.command, index + 1);
      }
    });
    this.requireRunnable(pipeline);
    const last = pipeline.steps.at(-1);
    // A set's members are named after the saveas key, so Qiniu's default key (the result's qetag) cannot name it.
    if (split.saveas && split.saveas.key === undefined && last && writesObjectSet(last)) {
      throw new FopSyntaxError(`saveas: ${last.command} names the objects of its set after the key, so it needs <bucket>:<key>, not a bucket alone`, 'saveas', pipeline.steps.length + 1);
    }
    return { pipeline, saveas: split.saveas };
  }

  /** Throws 400 naming the first official step whose command has no pool: it would wait forever. */
  requireRunnable(pipeline: FopPipeline): void {
    pipeline.steps.forEach((step, index) => {
      if (!isCustomStep(step) && !poolOf(this.pools, step.command)) {
        throw new FopSyntaxError(`${step.command}: no worker pool runs this command (step ${index + 1})`, step.command, index + 1);
      }
    });
  }

  private requireCustomRunnable(step: CustomStep, stepIndex: number, account: string | undefined): void {
    const record = this.custom.get(step.command)!;
    if (!mayRun(record, account)) {
      throw new GatewayError(403, `${step.command}: a private command of another account (step ${stepIndex})`);
    }
    if (record.kind === 'ufop' && record.currentVersion === undefined) {
      throw new FopSyntaxError(`${step.command}: no version is built yet (step ${stepIndex}); fopctl build ${step.command} <dir>`, step.command, stepIndex);
    }
    if (record.instances === 0) {
      throw new GatewayError(503, `${step.command}: resized to 0 instances (step ${stepIndex}); fopctl resize ${step.command} -n 1`);
    }
  }
}
