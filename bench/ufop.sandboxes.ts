import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { UFOP_SANDBOX_LABEL, UfopSandbox } from '@fopflow/ufop';
import { HANDLER_TIMEOUT_MS, MAX_RESULT_BYTES, SANDBOX_LIMITS, SEPIA_FOP, UFOP_NAME } from './ufop.plan';
import type { Operation } from './support/load';

/** How long a fresh sandbox may take to answer GET /health, in ms. */
const HEALTHY_TIMEOUT_MS = 60_000;

/**
 * The sepia program with nothing of Fopflow around it but its sandbox: the bench starts the
 * sandboxes itself (the same containers and quotas an instance starts) and sends each request
 * straight to a sandbox's socket, from a source file to a result file, as a worker's job does.
 */
export class ProgramAlone {
  private readonly busy: number[];
  private outputs = 0;

  private constructor(
    readonly sandboxes: UfopSandbox[],
    private readonly sourcePath: string,
    private readonly dir: string,
  ) {
    this.busy = sandboxes.map(() => 0);
  }

  /**
   * Starts one sandbox of `image` per instance id, under `dir` (their sockets, the source, the
   * results); on a failure, removes those already started.
   */
  static async start(docker: Docker, image: string, instanceIds: readonly string[], dir: string, source: Buffer): Promise<ProgramAlone> {
    const sandboxes: UfopSandbox[] = [];
    try {
      for (const [n, instanceId] of instanceIds.entries()) {
        const sandbox = await UfopSandbox.start({
          docker,
          instanceId,
          ufop: UFOP_NAME,
          version: 'alone',
          image,
          limits: SANDBOX_LIMITS,
          socketDir: join(dir, `sandbox-${n}`),
        });
        sandboxes.push(sandbox);
        await sandbox.waitHealthy(HEALTHY_TIMEOUT_MS);
      }
    } catch (error) {
      await Promise.all(sandboxes.map((sandbox) => sandbox.remove().catch(() => undefined)));
      throw error;
    }
    const sourcePath = join(dir, 'source.jpg');
    writeFileSync(sourcePath, source);
    return new ProgramAlone(sandboxes, sourcePath, dir);
  }

  /**
   * One sepia on the first `sandboxes` sandboxes: each request goes to the one with the fewest in
   * flight, so that N slots on N sandboxes keep one request on each, as one job per instance would.
   */
  operation(sandboxes: number): Operation {
    return async () => {
      let chosen = 0;
      for (let n = 1; n < sandboxes; n++) if (this.busy[n] < this.busy[chosen]) chosen = n;
      const outputPath = join(this.dir, `result-${this.outputs++}.jpg`);
      this.busy[chosen]++;
      try {
        await this.sandboxes[chosen].handle({
          cmd: SEPIA_FOP,
          inputPath: this.sourcePath,
          inputMime: 'image/jpeg',
          outputPath,
          timeoutMs: HANDLER_TIMEOUT_MS,
          maxOutputBytes: MAX_RESULT_BYTES,
        });
      } finally {
        this.busy[chosen]--;
        await rm(outputPath, { force: true });
      }
    };
  }

  /** Where the first sandbox's socket is. */
  get socketPath(): string {
    return this.sandboxes[0].socketPath;
  }

  /** Where the source the requests send lies. */
  get source(): string {
    return this.sourcePath;
  }

  async remove(): Promise<void> {
    await Promise.all(this.sandboxes.map((sandbox) => sandbox.remove()));
  }
}

/** Host process ids of a sandbox's two containers, found by instance label; undefined where one is not running. */
export async function sandboxProcesses(docker: Docker, instanceId: string): Promise<{ program?: number; forwarder?: number }> {
  const containers = await docker.listContainers({ filters: { label: [`${UFOP_SANDBOX_LABEL.instance}=${instanceId}`] } });
  const found: { program?: number; forwarder?: number } = {};
  for (const container of containers) {
    const pid = (await docker.getContainer(container.Id).inspect()).State.Pid;
    if (pid > 0) found[container.Labels[UFOP_SANDBOX_LABEL.role] === 'handler' ? 'program' : 'forwarder'] = pid;
  }
  return found;
}

/** Whether any container of these sandboxes is left, running or not. */
export async function sandboxesLeft(docker: Docker, instanceIds: ReadonlySet<string>): Promise<boolean> {
  // Several label filters must all match, so the command's name selects and the ids are checked here.
  const containers = await docker.listContainers({ all: true, filters: { label: [`${UFOP_SANDBOX_LABEL.name}=${UFOP_NAME}`] } });
  return containers.some((container) => instanceIds.has(container.Labels[UFOP_SANDBOX_LABEL.instance]));
}

/**
 * Force-removes every container of these sandboxes; synchronous, for the exit hook too. Only the
 * instance ids this run started are removed, so another run's sandboxes on the engine stay.
 */
export function removeSandboxesNow(instanceIds: ReadonlySet<string>): void {
  if (instanceIds.size === 0) return;
  const format = `{{.ID}} {{.Label "${UFOP_SANDBOX_LABEL.instance}"}}`;
  const listed = execFileSync('docker', ['ps', '-a', '--filter', `label=${UFOP_SANDBOX_LABEL.name}=${UFOP_NAME}`, '--format', format]).toString();
  const containers = listed
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(([id, instance]) => id && instanceIds.has(instance))
    .map(([id]) => id);
  if (containers.length) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
}
