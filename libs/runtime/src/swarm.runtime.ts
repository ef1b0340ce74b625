import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import { checkQuotas, dataMountSettings, dockerStatus, FOPFLOW_LABEL, instanceEnv } from './docker.runtime';
import { InstanceRuntime, InstanceSpec, RuntimeInstance } from './instance-runtime';
import { imageRepository, namesRegistry, servicePlacement } from './swarm.placement';

/** Task states on the way to running, or running: the instances a service has now. */
const LIVE_TASK_STATES = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);
/** Swarm expands this per task, so every replica gets its own FOPFLOW_INSTANCE_ID (the task id). */
const TASK_ID_TEMPLATE = '{{.Task.ID}}';
/** Slack on top of the grace while waiting for the engine to report a task gone, in ms. */
const SETTLE_MS = 15_000;
const POLL_MS = 250;
/** Attempts at a replica change when another manager client updates the service at the same time. */
const UPDATE_ATTEMPTS = 5;

/** Swarm service names are DNS labels: letters, digits and `-`, at most 63. */
export const swarmServiceName = (pool: string, version: string): string =>
  `fopflow-${pool}-${version}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');

export interface SwarmRuntimeOptions {
  /** Client of a swarm manager; default `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** Network tasks join: an overlay holding Redis (the stack's `fopflow`), or `host`. Default none. */
  network?: string;
  /**
   * Shared data mounted at /data in every task (FOPFLOW_DATA_DIR=/data): a volume name or an
   * absolute host path. Both are per node: on several nodes use a volume driver that shares.
   */
  dataMount?: string;
  /** How long start() waits to learn the new task's id, in ms (default 10 s). */
  taskWaitMs?: number;
  /** Where tasks may run: swarm constraints such as `node.labels.fopflow.node!=manager`. Default none. */
  constraints?: string[];
  /**
   * Spread preferences, tried in order: `node.id` spreads a service's tasks over the nodes evenly,
   * `node.labels.zone` over the values of a label. Default none: swarm's own scheduling.
   */
  spreadOver?: string[];
}

interface SwarmService {
  ID: string;
  Version?: { Index?: number };
  Spec: Docker.ServiceSpec;
}

interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  CreatedAt: string;
  Status: { State: string };
}

/**
 * Runs the instances of one pool and version as the replicas of one swarm service
 * (`fopflow-<pool>-<version>`). start() adds a replica, creating the service at one replica when
 * it is missing; stop() removes one. Swarm, not the caller, picks which task goes: stop(id)
 * accepts a task id (from list(), also the worker's FOPFLOW_INSTANCE_ID) or a service name, and
 * in both cases names only the service to shrink. The grace is the service's StopGracePeriod,
 * fixed from the first spec; stop's graceMs only bounds how long it waits.
 */
export class SwarmRuntime implements InstanceRuntime {
  readonly name = 'swarm' as const;
  private readonly logger = new Logger('SwarmRuntime');
  private readonly docker: Docker;
  private readonly network?: string;
  private readonly dataMount?: string;
  private readonly taskWaitMs: number;
  private readonly placement?: Docker.TaskSpec['Placement'];
  /** Services this runtime scaled, by name → id and grace, for close(). */
  private readonly touched = new Map<string, { id: string; graceMs: number }>();
  /** One replica change at a time per service: concurrent read-modify-writes would lose one. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(options: SwarmRuntimeOptions = {}) {
    this.docker = options.docker ?? new Docker();
    this.network = options.network;
    this.dataMount = options.dataMount;
    this.taskWaitMs = options.taskWaitMs ?? 10_000;
    this.placement = servicePlacement(options.constraints ?? [], options.spreadOver ?? []);
  }

  start(spec: InstanceSpec): Promise<RuntimeInstance> {
    if (!spec.image) return Promise.reject(new Error(`swarm runtime: pool '${spec.pool}' has no image to run`));
    checkQuotas(spec);
    const name = swarmServiceName(spec.pool, spec.version);
    return this.serialized(name, async () => {
      const existing = await this.findService(name);
      const before = new Set((await this.tasks([name])).map((task) => task.ID));
      let serviceId = existing ? await this.scale(name, +1) : await this.create(name, spec);
      if (serviceId === undefined) serviceId = await this.scale(name, +1); // lost a creation race
      this.touched.set(name, { id: serviceId, graceMs: spec.graceMs });
      const task = await this.newTask(name, before);
      return {
        id: task?.ID ?? name,
        pool: spec.pool,
        version: spec.version,
        runtime: this.name,
        host: task?.NodeID ?? name,
        startedAt: task ? Date.parse(task.CreatedAt) : Date.now(),
      };
    });
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const target = await this.stopTarget(id);
    if (target === undefined) return; // no such task or service: already gone
    if (target.shrink) {
      await this.serialized(target.name, async () => {
        const service = await this.findService(target.name);
        if (service && (service.Spec.Mode?.Replicated?.Replicas ?? 0) > 0) await this.scale(target.name, -1);
      });
    }
    const service = await this.findService(target.name);
    const replicas = service?.Spec.Mode?.Replicated?.Replicas ?? 0;
    const serviceGraceMs = (service?.Spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec?.StopGracePeriod;
    const waitMs = Math.max(graceMs, (serviceGraceMs ?? 0) / 1e6) + SETTLE_MS;
    const live = async () => (await this.tasks([target.name])).filter((t) => LIVE_TASK_STATES.has(t.Status.State)).length;
    await this.until(async () => (await live()) <= replicas, waitMs);
  }

  async list(pool?: string): Promise<RuntimeInstance[]> {
    const label = [`${FOPFLOW_LABEL.runtime}=${this.name}`];
    if (pool !== undefined) label.push(`${FOPFLOW_LABEL.pool}=${pool}`);
    const services = (await this.docker.listServices({ filters: { label } })) as SwarmService[];
    if (services.length === 0) return [];
    const byId = new Map(services.map((service) => [service.ID, service.Spec.Labels ?? {}]));
    const tasks = await this.tasks(services.map((service) => service.ID));
    return tasks
      .filter((task) => task.DesiredState === 'running' && LIVE_TASK_STATES.has(task.Status.State) && byId.has(task.ServiceID))
      .map((task) => {
        const labels = byId.get(task.ServiceID) as Record<string, string>;
        return {
          id: task.ID,
          pool: labels[FOPFLOW_LABEL.pool],
          version: labels[FOPFLOW_LABEL.version],
          runtime: this.name,
          host: task.NodeID ?? '',
          startedAt: Date.parse(task.CreatedAt),
        };
      });
  }

  /** Removes the services it scaled (their tasks get the service's grace) and waits for their containers here. */
  async close(): Promise<void> {
    const services = [...this.touched.values()];
    this.touched.clear();
    await Promise.all(
      services.map(async ({ id, graceMs }) => {
        try {
          await this.docker.getService(id).remove();
        } catch (error) {
          if (dockerStatus(error) !== 404) throw error;
        }
        // Tasks vanish with the service at once; their containers take up to the grace to stop and go.
        // Only this node's containers are visible here: on other nodes the swarm finishes alone.
        await this.until(async () => {
          const left = await this.docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${id}`] } });
          return left.length === 0;
        }, graceMs + SETTLE_MS);
      }),
    );
  }

  /** Creates the service at one replica; undefined when another client created it first. */
  private async create(name: string, spec: InstanceSpec): Promise<string | undefined> {
    const labels = {
      [FOPFLOW_LABEL.pool]: spec.pool,
      [FOPFLOW_LABEL.version]: spec.version,
      [FOPFLOW_LABEL.runtime]: this.name,
    };
    const options: Docker.CreateServiceOptions = {
      Name: name,
      Labels: { ...labels, [FOPFLOW_LABEL.image]: spec.image as string },
      TaskTemplate: {
        ContainerSpec: {
          Image: await this.pinnedImage(spec.image as string),
          Env: instanceEnv(spec, { id: TASK_ID_TEMPLATE, runtime: this.name }, this.dataMount),
          Labels: labels,
          StopSignal: 'SIGTERM',
          StopGracePeriod: spec.graceMs * 1e6, // nanoseconds
          Mounts: dataMountSettings(this.dataMount, spec.binds),
          ...(spec.groups && { Groups: spec.groups }),
          CapabilityDrop: ['ALL'],
        },
        Resources: {
          Limits: {
            NanoCPUs: spec.cpus === undefined ? undefined : Math.round(spec.cpus * 1e9),
            MemoryBytes: spec.memoryBytes,
          },
        },
        // A replicated service keeps its count: a task that dies is replaced after 5 s.
        RestartPolicy: { Condition: 'any', Delay: 5e9 },
        LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
        Networks: this.network ? [{ Target: this.network }] : undefined,
        Placement: this.placement,
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    try {
      const created = (await this.docker.createService(options)) as unknown as { id: string };
      return created.id;
    } catch (error) {
      if (dockerStatus(error) === 409) return undefined;
      throw error;
    }
  }

  /** Changes the replica count by `delta` and returns the service id; retries on a concurrent update. */
  private async scale(name: string, delta: number): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const service = await this.findService(name);
      if (!service) throw new Error(`swarm runtime: service ${name} is gone`);
      const spec = service.Spec;
      const replicas = Math.max(0, (spec.Mode?.Replicated?.Replicas ?? 0) + delta);
      try {
        // The version makes this a compare-and-set: a concurrent update makes it fail, not vanish.
        await this.docker.getService(service.ID).update({
          _query: { version: service.Version?.Index },
          _body: { ...spec, Mode: { Replicated: { Replicas: replicas } } },
        });
        return service.ID;
      } catch (error) {
        const outOfSequence = /out of sequence/i.test((error as Error).message);
        if (!outOfSequence || attempt >= UPDATE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Runs the image by content, so a re-tagged image never changes a running service: by its
   * registry digest when it was pushed, else by its local id (which swarm never pulls — the
   * registry-less, single-node case). Not on this manager: by the digest its registry holds now,
   * which every node then pulls (what `docker service create` resolves too); by name only when
   * the registry cannot say.
   */
  private async pinnedImage(image: string): Promise<string> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return info.RepoDigests?.[0] ?? info.Id;
    } catch (error) {
      if (dockerStatus(error) !== 404) throw error;
    }
    // Without a registry host the name means Docker Hub, which is not asked on the scaler's behalf.
    if (!namesRegistry(image)) {
      this.logger.warn(`image ${image} is not on this manager and names no registry: the nodes will pull it by name`);
      return image;
    }
    try {
      const { Descriptor } = await this.docker.getImage(image).distribution();
      return `${imageRepository(image)}@${Descriptor.digest}`;
    } catch (error) {
      this.logger.warn(`image ${image} is neither on this manager nor resolved by its registry (${(error as Error).message}): the nodes will pull it by name`);
      return image;
    }
  }

  private async findService(name: string): Promise<SwarmService | undefined> {
    // The name filter matches prefixes too: keep the exact one.
    const services = (await this.docker.listServices({ filters: { name: [name] } })) as SwarmService[];
    return services.find((service) => service.Spec.Name === name);
  }

  /**
   * The service an id names — a service of ours by name, or the service of a task — and whether
   * to shrink it: a task already on its way out was stopped before, so it only has to be awaited.
   */
  private async stopTarget(id: string): Promise<{ name: string; shrink: boolean } | undefined> {
    const service = await this.findService(id);
    if (service && service.Spec.Labels?.[FOPFLOW_LABEL.runtime] === this.name) return { name: id, shrink: true };
    try {
      const task = (await this.docker.getTask(id).inspect()) as SwarmTask;
      const owner = (await this.docker.getService(task.ServiceID).inspect()) as SwarmService;
      if (owner.Spec.Labels?.[FOPFLOW_LABEL.runtime] !== this.name) return undefined;
      return { name: owner.Spec.Name as string, shrink: task.DesiredState === 'running' };
    } catch (error) {
      if (dockerStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** Tasks of the services (names or ids); none when a service is missing (the engine says 404). */
  private async tasks(services: string[]): Promise<SwarmTask[]> {
    try {
      return (await this.docker.listTasks({ filters: { service: services } })) as SwarmTask[];
    } catch (error) {
      if (dockerStatus(error) === 404) return [];
      throw error;
    }
  }

  /** The task that start() brought: one meant to run that was not there before. */
  private newTask(name: string, before: Set<string>): Promise<SwarmTask | undefined> {
    const fresh = async () => (await this.tasks([name])).find((task) => task.DesiredState === 'running' && !before.has(task.ID));
    return this.until(fresh, this.taskWaitMs).catch(() => undefined);
  }

  /** Polls until `probe` yields something truthy, and returns it. */
  private async until<T>(probe: () => Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`swarm runtime: gave up waiting after ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  private serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queues.set(name, next);
    void next.finally(() => {
      if (this.queues.get(name) === next) this.queues.delete(name);
    }).catch(() => undefined);
    return next;
  }
}
