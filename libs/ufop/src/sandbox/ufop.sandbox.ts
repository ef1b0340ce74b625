import { existsSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import { dockerStatus, removeContainer } from '@fopflow/runtime';
import { describeBytes, HandlerClient, HandlerError, HandlerRequest, HandlerResult } from '../contract/handler.client';
import {
  checkSandboxLimits,
  createSandboxContainer,
  DEFAULT_SANDBOX_PORT_IMAGE,
  demuxLogs,
  handlerContainerSpec,
  portContainerSpec,
  prepareSocketDir,
  requireImage,
  SANDBOX_SOCKET_DIR_IN_PORT,
  SANDBOX_SOCKET_NAME,
  SandboxLimits,
  UFOP_SANDBOX_LABEL,
} from './sandbox.containers';

/** How long handle() waits, in ms, after a dropped connection, for the engine to report the program's exit. */
export const EXIT_SETTLE_MS = 2000;
/** How long, in ms, an exit by SIGKILL is re-read for an OOM flag the engine records just after the exit. */
export const OOM_SETTLE_MS = 1000;
/** Pause between two GET /health probes in waitHealthy, in ms. */
export const HEALTH_POLL_MS = 100;
/** Longest one GET /health probe may take, in ms. */
export const HEALTH_PROBE_TIMEOUT_MS = 2000;
/** Program log lines a failed waitHealthy quotes. */
export const HEALTH_ERROR_LOG_LINES = 20;

export interface UfopSandboxOptions {
  /** Engine client; default `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** The owning dispatcher instance; reap() removes the sandbox once that instance is gone. */
  instanceId: string;
  /** The UFOP's name: in labels, and the first word of every message to users. */
  ufop: string;
  /** The UFOP version running. */
  version: string;
  /** The UFOP's built image (UfopBuilder's result). */
  image: string;
  limits: SandboxLimits;
  /**
   * A directory for this sandbox alone, where its socket appears; created if missing, deleted by
   * remove(). It is bind-mounted by the engine, so it must be the same path on the engine's host
   * and for this process (a dispatcher in a container mounts it at that same path).
   */
  socketDir: string;
  /** Image of the trusted port container (default DEFAULT_SANDBOX_PORT_IMAGE); needs node on PATH. */
  portImage?: string;
}

/** How the program's container stopped. */
export interface SandboxExit {
  /** The kernel killed it for going over its memory quota. */
  oomKilled: boolean;
  /** Its exit code; -1 when the container was already removed. */
  exitCode: number;
  /** One line for humans, starting with the UFOP's name. */
  reason: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one UFOP instance so that it can touch nothing but the bytes it is given. Two containers:
 * a trusted port container with no network but loopback, which owns the Unix socket the
 * dispatcher talks to, and the program's own container joined to that network namespace: no
 * route out (not to Redis, the host or another sandbox), read-only root, no capabilities, its
 * only writable place a small /tmp, memory, CPU and process quotas. Nothing of the host is
 * mounted into the program's container; the socket directory is the port container's alone.
 */
export class UfopSandbox {
  private static readonly logger = new Logger('UfopSandbox');
  readonly socketPath: string;
  private readonly client: HandlerClient;
  private exit?: Promise<SandboxExit>;
  private removal?: Promise<void>;

  private constructor(
    private readonly options: UfopSandboxOptions,
    private readonly port: Docker.Container,
    private readonly handler: Docker.Container,
  ) {
    this.socketPath = join(options.socketDir, SANDBOX_SOCKET_NAME);
    this.client = new HandlerClient(this.socketPath, options.ufop, () => this.explainClosed());
  }

  /** Starts both containers; on any failure removes whatever it created, and rethrows. */
  static async start(options: UfopSandboxOptions): Promise<UfopSandbox> {
    checkSandboxLimits(options.limits);
    if (!options.instanceId) throw new Error('sandbox instanceId must not be empty');
    const docker = options.docker ?? new Docker();
    const portImage = options.portImage ?? DEFAULT_SANDBOX_PORT_IMAGE;
    await requireImage(docker, options.image, `the image of ${options.ufop} ${options.version} ('${options.image}') is not on this engine: build that version first`);
    await requireImage(docker, portImage, `the sandbox port image '${portImage}' is not on this engine (build it: bash docker/base-image.sh)`);

    const started = Date.now();
    const createdDir = !existsSync(options.socketDir);
    const created: Docker.Container[] = [];
    try {
      const forwarder = await prepareSocketDir(options.socketDir);
      const port = await createSandboxContainer(docker, options, 'port', portContainerSpec(portImage, options.socketDir, forwarder, options.limits));
      created.push(port);
      await port.start();
      const handler = await createSandboxContainer(docker, options, 'handler', handlerContainerSpec(options.image, port.id, options.limits));
      created.push(handler);
      await handler.start();
      UfopSandbox.logger.log(`started ${options.ufop} ${options.version} for ${options.instanceId} in ${Date.now() - started} ms`);
      return new UfopSandbox(options, port, handler);
    } catch (error) {
      for (const container of created.reverse()) await removeContainer(container).catch(() => undefined);
      if (createdDir) await rm(options.socketDir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Polls GET /health through the socket until 200; fails early, quoting the logs, if the program exits. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const { ufop } = this.options;
    const deadline = Date.now() + timeoutMs;
    let exit: SandboxExit | undefined;
    const exited = this.exited().then(
      (seen) => void (exit = seen),
      () => undefined,
    );
    let last = 'no answer';
    for (;;) {
      if (exit) throw new HandlerError(`${exit.reason} before it answered GET /health${await this.logTail()}`, 502);
      const probe = await this.client.probeHealth(Math.max(1, Math.min(HEALTH_PROBE_TIMEOUT_MS, deadline - Date.now())));
      if (probe.ok) return;
      last = probe.detail;
      if (Date.now() >= deadline) break;
      await Promise.race([delay(HEALTH_POLL_MS), exited]);
    }
    exit = exit ?? (await this.exitState().catch(() => undefined));
    if (exit) throw new HandlerError(`${exit.reason} before it answered GET /health${await this.logTail()}`, 502);
    throw new HandlerError(`${ufop} did not answer GET /health with 200 within ${timeoutMs} ms (last: ${last})${await this.logTail()}`, 504);
  }

  /** Runs one request through the program; see HandlerClient.handle for how failures map to statuses. */
  handle(request: HandlerRequest): Promise<HandlerResult> {
    return this.client.handle(request);
  }

  /** Resolves when the program's container stops (at once if it already has). */
  exited(): Promise<SandboxExit> {
    if (!this.exit) {
      const exit = this.waitForExit();
      // A failed wait (engine unreachable) is not remembered: the next call asks again.
      exit.catch(() => {
        if (this.exit === exit) this.exit = undefined;
      });
      this.exit = exit;
    }
    return this.exit;
  }

  /** How the program's container stopped; undefined while it runs. */
  async exitState(): Promise<SandboxExit | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.handler.inspect();
    } catch (error) {
      if (dockerStatus(error) === 404) return this.removedExit();
      throw error;
    }
    if (info.State.Running || info.State.Status === 'created') return undefined;
    return this.describeExit(info.State.ExitCode, info.State.OOMKilled);
  }

  /** The program's last log lines, stdout and stderr interleaved as written. */
  async logs(tailLines: number): Promise<string> {
    const raw = await this.handler.logs({ stdout: true, stderr: true, tail: tailLines, follow: false });
    return demuxLogs(raw, this.handler.modem);
  }

  /** Kills and removes both containers and deletes socketDir; safe to call again or concurrently. */
  remove(): Promise<void> {
    if (!this.removal) {
      const removal = (async () => {
        await removeContainer(this.handler);
        await removeContainer(this.port);
        await rm(this.options.socketDir, { recursive: true, force: true });
      })();
      // A failed removal is not remembered: calling again retries it.
      removal.catch(() => {
        if (this.removal === removal) this.removal = undefined;
      });
      this.removal = removal;
    }
    return this.removal;
  }

  /**
   * Removes every sandbox whose owning instance is no longer live (a dispatcher that died without
   * removing its sandboxes); returns their instance ids. Only the socket file and the then-empty
   * directory are deleted on the host: reap never removes a file it did not make.
   */
  static async reap(docker: Docker, isLive: (instanceId: string) => boolean | Promise<boolean>): Promise<string[]> {
    const containers = await docker.listContainers({ all: true, filters: { label: [UFOP_SANDBOX_LABEL.instance] } });
    const byInstance = new Map<string, Docker.ContainerInfo[]>();
    for (const container of containers) {
      const id = container.Labels[UFOP_SANDBOX_LABEL.instance];
      byInstance.set(id, [...(byInstance.get(id) ?? []), container]);
    }
    const reaped: string[] = [];
    for (const [instanceId, found] of byInstance) {
      if (await isLive(instanceId)) continue;
      // The program first: it must not outlive, even briefly, the namespace owner it joined.
      const ordered = [...found].sort((a, b) => Number(a.Labels[UFOP_SANDBOX_LABEL.role] === 'port') - Number(b.Labels[UFOP_SANDBOX_LABEL.role] === 'port'));
      for (const container of ordered) await removeContainer(docker.getContainer(container.Id));
      for (const container of found) {
        const mount = container.Mounts?.find((m) => m.Type === 'bind' && m.Destination === SANDBOX_SOCKET_DIR_IN_PORT);
        if (!mount) continue;
        await rm(join(mount.Source, SANDBOX_SOCKET_NAME), { force: true }).catch(() => undefined);
        await rmdir(mount.Source).catch(() => undefined);
      }
      UfopSandbox.logger.log(`reaped the sandbox of ${instanceId} (${found.length} containers)`);
      reaped.push(instanceId);
    }
    return reaped;
  }

  private async waitForExit(): Promise<SandboxExit> {
    let waited: { StatusCode?: number };
    try {
      waited = await this.handler.wait({ condition: 'not-running' });
    } catch (error) {
      if (dockerStatus(error) === 404) return this.removedExit();
      throw error;
    }
    const state = await this.exitState().catch(() => undefined);
    return state ?? this.describeExit(waited.StatusCode ?? -1, false);
  }

  /** Builds the exit; a SIGKILL exit is re-read briefly, as the engine may record the OOM just after it. */
  private async describeExit(exitCode: number, oomKilled: boolean): Promise<SandboxExit> {
    const until = Date.now() + OOM_SETTLE_MS;
    while (exitCode === 137 && !oomKilled && Date.now() < until) {
      await delay(100);
      const info = await this.handler.inspect().catch(() => undefined);
      if (!info) break;
      oomKilled = info.State.OOMKilled;
    }
    const { ufop } = this.options;
    if (oomKilled) return { oomKilled, exitCode, reason: this.oomReason() };
    if (exitCode === 137) return { oomKilled, exitCode, reason: `${ufop} was killed (exit code 137)` };
    return { oomKilled, exitCode, reason: `${ufop} exited with code ${exitCode}` };
  }

  private oomReason(): string {
    return `${this.options.ufop} was stopped for using more than its ${describeBytes(this.options.limits.memoryBytes)} memory quota`;
  }

  private removedExit(): SandboxExit {
    return { oomKilled: false, exitCode: -1, reason: `${this.options.ufop}'s sandbox was removed` };
  }

  /**
   * Why a connection dropped: the program's exit if the engine reports one soon, else an OOM kill
   * of one of its processes (the container may live on), else only that it closed.
   */
  private async explainClosed(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      this.exited().catch(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EXIT_SETTLE_MS))),
    ]);
    clearTimeout(timer);
    if (exit) return exit.reason;
    const info = await this.handler.inspect().catch(() => undefined);
    if (info?.State.OOMKilled) return this.oomReason();
    return `${this.options.ufop} closed the connection`;
  }

  private async logTail(): Promise<string> {
    const text = await this.logs(HEALTH_ERROR_LOG_LINES).catch(() => '');
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    return lines.length ? `\n--- ${this.options.ufop} log (last ${lines.length} lines) ---\n${lines.join('\n')}` : '';
  }
}
