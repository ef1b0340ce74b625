import { FopError } from '@fopflow/errors';
import { type RedisClient } from '@fopflow/queue';
import { resolve } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { CustomStep, isCustomCommandName, isCommandName } from '@fopflow/fop';
import { OutboundGuard } from '@fopflow/outbound';
import { INSTANCE_ENV } from '@fopflow/runtime';
import {
  CommandRecord,
  CommandRegistry,
  FLAVORS,
  parseRemoteCommand,
  RemoteCommandClient,
  UFOP_IMAGE_ENV,
  UfopSandbox,
  versionImage,
} from '@fopflow/ufop';
import type { WorkFile } from './pipeline.runner';
import type { WorkDir } from './work-dir';

export const WORKER_REDIS = Symbol('WORKER_REDIS');

/** How often a program's output is copied to Redis for `fopctl logs --run`, ms. */
const RUN_LOG_INTERVAL_MS = 10_000;
/** Output lines kept per instance. */
const RUN_LOG_LINES = 200;

/** Runs one custom step on a file; what PipelineRunner calls for a step that is not official. */
export interface CustomStepRunner {
  run(step: CustomStep, input: WorkFile, workDir: WorkDir, signal: AbortSignal): Promise<WorkFile>;
}

interface Endpoint {
  handle(request: { cmd: string; inputPath: string; inputMime: string; outputPath: string; signal?: AbortSignal }): Promise<{ mime: string }>;
}

/**
 * The trusted side of this instance's custom commands. For a UFOP it starts the program's sandbox
 * (its own containers, no network) and forwards each step's bytes to it; for a third-party
 * command it calls the registered service through the outbound guard. A sandbox that dies, runs
 * out of memory or hangs fails the job it held and ends this instance, so the scaler replaces it
 * with a fresh one instead of feeding more jobs to a broken program.
 */
@Injectable()
export class CustomCommandHost implements CustomStepRunner {
  private readonly logger = new Logger('CustomCommands');
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly sandboxes: UfopSandbox[] = [];
  private readonly logCopies: Array<() => Promise<void>> = [];
  private logTimer?: NodeJS.Timeout;
  private readonly records = new Map<string, CommandRecord>();
  private readonly registry: CommandRegistry;
  private broken = false;
  /** Called once when this instance can no longer serve (set by the worker's entry point). */
  onBroken: (reason: string) => void = () => undefined;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    @Inject(WORKER_REDIS) redis: RedisClient,
  ) {
    this.registry = new CommandRegistry(redis);
  }

  /** The custom commands among `commands`. */
  static customOf(commands: readonly string[]): string[] {
    return commands.filter((command) => !isCommandName(command) && isCustomCommandName(command));
  }

  /** Registered settings of a custom command this instance runs (after start). */
  record(name: string): CommandRecord | undefined {
    return this.records.get(name);
  }

  /** Reads the commands' registrations and readies their endpoints: sandboxes answer /health. */
  async start(commands: readonly string[]): Promise<void> {
    for (const name of CustomCommandHost.customOf(commands)) {
      const record = await this.registry.get(name);
      if (!record) throw new Error(`custom command '${name}' is not registered`);
      this.records.set(name, record);
      this.endpoints.set(name, record.kind === 'remote' ? this.remote(record) : await this.sandbox(record));
    }
    if (this.logCopies.length) {
      this.logTimer = setInterval(() => void this.copyLogs(), RUN_LOG_INTERVAL_MS);
      this.logTimer.unref();
    }
  }

  async run(step: CustomStep, input: WorkFile, workDir: WorkDir, signal: AbortSignal): Promise<WorkFile> {
    const endpoint = this.endpoints.get(step.command);
    if (!endpoint) throw new FopError(503, 'CommandNotRunHere', `this worker does not run '${step.command}'`);
    const outputPath = workDir.file(step.command);
    try {
      const { mime } = await endpoint.handle({ cmd: step.args.text, inputPath: input.path, inputMime: input.mime, outputPath, signal });
      return { path: outputPath, mime };
    } catch (error) {
      if (!signal.aborted) await this.checkSandboxes(error as Error);
      // What the program printed about it is what its owner needs next.
      await this.copyLogs();
      throw error;
    }
  }

  /** Removes the sandboxes; called once this instance's jobs have ended. */
  async close(): Promise<void> {
    clearInterval(this.logTimer);
    await this.copyLogs();
    await Promise.all(this.sandboxes.map((sandbox) => sandbox.remove().catch((error: Error) => this.logger.warn(`removing a sandbox: ${error.message}`))));
  }

  private remote(record: CommandRecord): Endpoint {
    const settings = parseRemoteCommand(record.remote);
    const client = new RemoteCommandClient(record.name, settings, new OutboundGuard({ allowedTargets: this.config.allowedTargets }));
    const maxInputBytes = this.config.limits.maxSourceBytes;
    return { handle: (request) => client.handle({ ...request, maxInputBytes }) };
  }

  private async sandbox(record: CommandRecord): Promise<Endpoint> {
    const version = process.env[INSTANCE_ENV.version] ?? record.currentVersion;
    const image = process.env[UFOP_IMAGE_ENV] || versionImage(record, version);
    if (!image) throw new Error(`'${record.name}' has no built image for version ${version}`);
    const flavor = FLAVORS[record.flavor] ?? FLAVORS.C1M1;
    const instanceId = process.env[INSTANCE_ENV.id] || `${record.name}-${process.pid}`;
    const sandbox = await UfopSandbox.start({
      instanceId,
      ufop: record.name,
      version: version ?? 'unknown',
      image,
      limits: {
        cpus: flavor.cpus,
        memoryBytes: flavor.memoryMiB * 1024 * 1024,
        pidsLimit: this.config.ufop.pidsLimit,
        tmpfsBytes: this.config.ufop.tmpfsBytes,
      },
      socketDir: resolve(this.config.ufop.socketDir, instanceId),
    });
    this.sandboxes.push(sandbox);
    try {
      await sandbox.waitHealthy(this.config.ufop.startTimeoutMs);
    } catch (error) {
      await sandbox.remove().catch(() => undefined);
      throw error;
    }
    void sandbox.exited().then(async (exit) => {
      await this.copyLogs();
      this.markBroken(`${record.name}: ${exit.reason}`);
    });
    const copy = async () => {
      const text = await sandbox.logs(RUN_LOG_LINES);
      const lines = text.split('\n').filter((line) => line !== '');
      await this.registry.recordRunLog(record.name, { instance: instanceId, version: version ?? 'unknown', at: Date.now(), lines });
    };
    this.logCopies.push(copy);
    await this.copyLogs();
    this.logger.log(`${record.name} version ${version} (${image}) answers on ${sandbox.socketPath}`);
    const timeoutMs = record.timeoutMs;
    const maxOutputBytes = this.config.limits.maxUploadBytes;
    return { handle: (request) => sandbox.handle({ ...request, timeoutMs, maxOutputBytes }) };
  }

  /**
   * After a failed step: a sandbox that exited (out of memory, crashed) or did not answer in time
   * cannot be trusted with the next job. The failure stands for this job only (a retry elsewhere
   * would meet the same program), and the instance retires.
   */
  private async checkSandboxes(error: Error): Promise<void> {
    const status = (error as { status?: number }).status;
    for (const sandbox of this.sandboxes) {
      const exit = await sandbox.exitState().catch(() => undefined);
      if (exit || status === 504) {
        Object.assign(error, { unrecoverable: true });
        this.markBroken(exit?.reason ?? error.message);
      }
    }
  }

  /** Copies each program's latest output to Redis; a failure here never fails a job. */
  private async copyLogs(): Promise<void> {
    await Promise.all(this.logCopies.map((copy) => copy().catch((error: Error) => this.logger.debug(`copying a program's output: ${error.message}`))));
  }

  private markBroken(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.logger.warn(`retiring this instance: ${reason}`);
    this.onBroken(reason);
  }
}
