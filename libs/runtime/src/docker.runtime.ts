import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import { INSTANCE_ENV, InstanceRuntime, InstanceSpec, RuntimeInstance, RuntimeName } from './instance-runtime';

/** Labels on every container and service a Fopflow runtime makes: how list() finds them again. */
export const FOPFLOW_LABEL = {
  pool: 'fopflow.pool',
  version: 'fopflow.version',
  instance: 'fopflow.instance',
  runtime: 'fopflow.runtime',
  image: 'fopflow.image',
} as const;

/** Where the shared data (buckets, result cache) appears inside every instance. */
export const DATA_DIR_IN_INSTANCE = '/data';

/** Docker's stop timeout is whole seconds: round up so an instance never gets less than its grace. */
export const graceSeconds = (graceMs: number): number => Math.max(0, Math.ceil(graceMs / 1000));

/** The engine's HTTP status on a failed call (dockerode puts it on the error). */
export const dockerStatus = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

/** Docker object names allow `[a-zA-Z0-9_.-]`; pools and versions are mapped onto that. */
export const dockerNamePart = (value: string): string => value.replace(/[^a-zA-Z0-9_.-]/g, '-');

/** Force-removes (kills first); a container already gone (404) or already being removed (409) is fine. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true });
  } catch (error) {
    if (dockerStatus(error) !== 404 && dockerStatus(error) !== 409) throw error;
  }
}

/**
 * The environment an instance starts with: the spec's own, its command list, the data dir as the
 * instance sees it, and — last, so nothing overrides it — its identity.
 */
export function instanceEnv(
  spec: InstanceSpec,
  identity: { id: string; runtime: RuntimeName },
  dataMount?: string,
): string[] {
  const env: Record<string, string> = { ...spec.env };
  if (spec.commands.length > 0) env.FOPFLOW_WORKER_COMMANDS = spec.commands.join(',');
  // The mount decides where buckets live inside; a host path in spec.env would mean nothing here.
  if (dataMount) env.FOPFLOW_DATA_DIR = DATA_DIR_IN_INSTANCE;
  env[INSTANCE_ENV.id] = identity.id;
  env[INSTANCE_ENV.pool] = spec.pool;
  env[INSTANCE_ENV.version] = spec.version;
  env[INSTANCE_ENV.runtime] = identity.runtime;
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

/**
 * The shared data (an absolute path is bind-mounted, anything else is a named volume; either
 * lands on /data), then the spec's own binds.
 */
export function dataMountSettings(dataMount?: string, binds: InstanceSpec['binds'] = []): Docker.MountSettings[] {
  const data: Docker.MountSettings[] = dataMount ? [{ Type: dataMount.startsWith('/') ? 'bind' : 'volume', Source: dataMount, Target: DATA_DIR_IN_INSTANCE }] : [];
  return [...data, ...binds.map(({ source, target }): Docker.MountSettings => ({ Type: 'bind', Source: source, Target: target }))];
}

/** Rejects quotas the engine would refuse, with a message naming the field. */
export function checkQuotas(spec: InstanceSpec): void {
  if (spec.cpus !== undefined && !(spec.cpus > 0)) throw new Error(`cpus must be above 0, got ${spec.cpus}`);
  // 6 MiB is the least memory limit Docker accepts.
  if (spec.memoryBytes !== undefined && !(spec.memoryBytes >= 6 * 1024 * 1024)) {
    throw new Error(`memoryBytes must be at least 6 MiB, got ${spec.memoryBytes}`);
  }
}

export interface DockerRuntimeOptions {
  /** Engine client; default `new Docker()`, which honours DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Docker;
  /**
   * Network instances join: a user-defined bridge network (compose's `fopflow`, where Redis is
   * reachable by its service name), or `host` (tests, a Redis on the host's loopback).
   * Default `bridge`, Docker's own, where names do not resolve.
   */
  network?: string;
  /**
   * Shared data of buckets and result cache, mounted at /data in every instance (which then gets
   * FOPFLOW_DATA_DIR=/data): an absolute host path (bind mount) or a volume name. Default none.
   */
  dataMount?: string;
  /** Exited instances kept per pool for `docker logs` before start() removes the oldest (default 3). */
  keepExitedPerPool?: number;
}

/**
 * Runs each worker instance as one container on one Docker engine. The instance id is the
 * container name (`fopflow-<pool>-<version>-<8 hex>`) and also the worker's FOPFLOW_INSTANCE_ID,
 * so Keeper's records and this runtime's list match. Stopping is Docker's own graceful stop:
 * SIGTERM, then SIGKILL once the grace has passed; the container is then removed.
 */
export class DockerRuntime implements InstanceRuntime {
  readonly name = 'docker' as const;
  private readonly logger = new Logger('DockerRuntime');
  private readonly docker: Docker;
  private readonly network: string;
  private readonly dataMount?: string;
  private readonly keepExitedPerPool: number;
  /** Instances this runtime started, with their grace, for close(). */
  private readonly started = new Map<string, number>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? new Docker();
    this.network = options.network ?? 'bridge';
    this.dataMount = options.dataMount;
    this.keepExitedPerPool = options.keepExitedPerPool ?? 3;
  }

  async start(spec: InstanceSpec): Promise<RuntimeInstance> {
    if (!spec.image) throw new Error(`docker runtime: pool '${spec.pool}' has no image to run`);
    checkQuotas(spec);
    const id = `fopflow-${dockerNamePart(spec.pool)}-${dockerNamePart(spec.version)}-${randomBytes(4).toString('hex')}`;
    await this.removeOldExited(spec.pool);
    const body: Docker.ContainerCreateOptions = {
      Image: spec.image,
      Env: instanceEnv(spec, { id, runtime: this.name }, this.dataMount),
      Labels: {
        [FOPFLOW_LABEL.pool]: spec.pool,
        [FOPFLOW_LABEL.version]: spec.version,
        [FOPFLOW_LABEL.instance]: id,
        [FOPFLOW_LABEL.runtime]: this.name,
      },
      StopSignal: 'SIGTERM',
      // Also what a plain `docker stop` (or the engine's own shutdown) grants the worker.
      StopTimeout: graceSeconds(spec.graceMs),
      HostConfig: {
        NetworkMode: this.network,
        NanoCpus: spec.cpus === undefined ? undefined : Math.round(spec.cpus * 1e9),
        Memory: spec.memoryBytes,
        // Equal to Memory: the quota is a hard one, not Memory plus as much again in swap.
        MemorySwap: spec.memoryBytes,
        // The Scaler owns restarts: an instance that dies is replaced, never revived behind its back.
        RestartPolicy: { Name: 'no' },
        Mounts: dataMountSettings(this.dataMount, spec.binds),
        GroupAdd: spec.groups,
        // Long-lived workers log a lot; bound what the engine keeps per container.
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
      },
    };
    let container: Docker.Container;
    try {
      // Only the name goes in the query string: the env (REDIS_URL, keys) stays out of logged URLs.
      container = await this.docker.createContainer({ _query: { name: id }, _body: body } as Docker.ContainerCreateOptions);
    } catch (error) {
      if (dockerStatus(error) === 404) {
        throw new Error(`docker runtime: image '${spec.image}' is not on this engine (build it: bash docker/build-images.sh)`);
      }
      throw error;
    }
    this.started.set(id, spec.graceMs);
    try {
      await container.start();
    } catch (error) {
      this.started.delete(id);
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
    const info = await container.inspect();
    return {
      id,
      pool: spec.pool,
      version: spec.version,
      runtime: this.name,
      host: info.Id.slice(0, 12),
      startedAt: Date.parse(info.State.StartedAt) || Date.now(),
    };
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const [found] = await this.containers({ [FOPFLOW_LABEL.instance]: id }, true);
    this.started.delete(id);
    if (!found) return; // already gone: stopping is idempotent
    const container = this.docker.getContainer(found.Id);
    try {
      // The engine sends SIGTERM, waits `t` seconds, then SIGKILLs; this resolves once it exited.
      await container.stop({ t: graceSeconds(graceMs) });
    } catch (error) {
      if (dockerStatus(error) !== 304 && dockerStatus(error) !== 404) throw error; // 304: already stopped
    }
    await this.logExit(container, id, graceMs);
    await removeContainer(container);
  }

  async list(pool?: string): Promise<RuntimeInstance[]> {
    const containers = await this.containers(pool === undefined ? {} : { [FOPFLOW_LABEL.pool]: pool }, false);
    return containers.map((container) => ({
      id: container.Labels[FOPFLOW_LABEL.instance],
      pool: container.Labels[FOPFLOW_LABEL.pool],
      version: container.Labels[FOPFLOW_LABEL.version],
      runtime: this.name,
      host: container.Id.slice(0, 12),
      startedAt: container.Created * 1000,
    }));
  }

  async close(): Promise<void> {
    const stops = [...this.started].map(([id, graceMs]) => this.stop(id, graceMs));
    const failed = (await Promise.allSettled(stops)).filter((result) => result.status === 'rejected');
    if (failed.length > 0) {
      throw new AggregateError(failed.map((result) => (result as PromiseRejectedResult).reason), 'docker runtime: some instances did not stop');
    }
  }

  /** Fopflow's docker-runtime containers matching `labels`; running (and just created) ones unless `all`. */
  private containers(labels: Record<string, string>, all: boolean): Promise<Docker.ContainerInfo[]> {
    const label = [`${FOPFLOW_LABEL.runtime}=${this.name}`, FOPFLOW_LABEL.instance];
    for (const [key, value] of Object.entries(labels)) label.push(`${key}=${value}`);
    const filters: Record<string, string[]> = { label };
    if (!all) filters.status = ['created', 'running', 'restarting'];
    return this.docker.listContainers({ all: true, filters });
  }

  /** Says how a stopped instance ended: a kill after the grace means it lost the jobs it held. */
  private async logExit(container: Docker.Container, id: string, graceMs: number): Promise<void> {
    const state = await container.inspect().then((info) => info.State, () => undefined);
    if (!state) return;
    if (state.OOMKilled) this.logger.warn(`${id} was killed for using more memory than its quota`);
    else if (state.ExitCode === 137) this.logger.warn(`${id} did not exit within ${graceMs} ms of SIGTERM and was killed`);
    else if (state.ExitCode !== 0) this.logger.warn(`${id} exited with ${state.ExitCode}`);
  }

  /**
   * Instances that died on their own stay for `docker logs`, but a crash loop must not pile up
   * containers: beyond the newest few per pool, the exited ones go.
   */
  private async removeOldExited(pool: string): Promise<void> {
    const exited = (await this.containers({ [FOPFLOW_LABEL.pool]: pool }, true))
      .filter((container) => container.State === 'exited' || container.State === 'dead')
      .sort((a, b) => b.Created - a.Created)
      .slice(this.keepExitedPerPool);
    await Promise.all(
      exited.map((container) => this.docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined)),
    );
  }
}
