import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { INSTANCE_ENV, InstanceRuntime, InstanceSpec, RuntimeInstance } from './instance-runtime';

export interface ProcessRuntimeOptions {
  /** The built worker entry point, e.g. `dist/apps/worker/src/main.js`. */
  workerEntry: string;
  /** Working directory of the workers. */
  cwd: string;
  /** Where each line a worker prints goes (default: this process's stdout, tagged). */
  output?: (instance: RuntimeInstance, line: string) => void;
}

interface Running {
  instance: RuntimeInstance;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The embedded default: each instance is a child process of the scaler running the built worker.
 * Versions are labels only here; every instance runs the same build.
 */
export class ProcessRuntime implements InstanceRuntime {
  readonly name = 'process' as const;
  private readonly running = new Map<string, Running>();

  constructor(private readonly options: ProcessRuntimeOptions) {}

  async start(spec: InstanceSpec): Promise<RuntimeInstance> {
    const id = `${spec.pool}-${spec.version}-${randomBytes(4).toString('hex')}`;
    const instance: RuntimeInstance = { id, pool: spec.pool, version: spec.version, runtime: 'process', host: hostname(), startedAt: Date.now() };
    const child = spawn(process.execPath, [this.options.workerEntry], {
      cwd: this.options.cwd,
      env: {
        ...process.env,
        ...spec.env,
        FOPFLOW_WORKER_COMMANDS: spec.commands.join(','),
        FOPFLOW_SHUTDOWN_GRACE_MS: String(spec.graceMs),
        [INSTANCE_ENV.id]: id,
        [INSTANCE_ENV.pool]: spec.pool,
        [INSTANCE_ENV.version]: spec.version,
        [INSTANCE_ENV.runtime]: 'process',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = this.options.output ?? ((who, line) => process.stdout.write(`[${who.id}] ${line}\n`));
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => output(instance, line));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void exited.then(() => this.running.delete(id));
    this.running.set(id, { instance, child, exited });
    return instance;
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const running = this.running.get(id);
    if (!running) return;
    running.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)));
    if ((await Promise.race([running.exited, expired])) === 'expired') running.child.kill('SIGKILL');
    clearTimeout(timer);
    await running.exited;
  }

  async list(pool?: string): Promise<RuntimeInstance[]> {
    return [...this.running.values()].map((running) => running.instance).filter((instance) => pool === undefined || instance.pool === pool);
  }

  /** Kills an instance at once, as a crash would (tests of failure handling). */
  kill(id: string): void {
    this.running.get(id)?.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.values()].map((running) => this.stop(running.instance.id, 30_000)));
  }
}
