/** What a new worker instance is: its pool, version and the environment it starts with. */
export interface InstanceSpec {
  /** Pool the instance serves (`image`, `av`, a UFOP's pool). */
  pool: string;
  /** Version label; a gray upgrade starts instances of a new one beside the old. */
  version: string;
  /** Container image (docker, swarm); the process runtime runs the built worker instead. */
  image?: string;
  /** Commands the instance consumes (FOPFLOW_WORKER_COMMANDS). */
  commands: string[];
  /** Environment of the worker: REDIS_URL, FOPFLOW_* … (the runtime adds the instance's identity). */
  env: Record<string, string>;
  /** CPU quota in cores (docker, swarm). */
  cpus?: number;
  /** Memory quota in bytes (docker, swarm). */
  memoryBytes?: number;
  /** How long a stopping instance may finish its jobs before it is killed, in ms. */
  graceMs: number;
  /** Host paths bind-mounted into the instance (docker, swarm): a custom command's engine socket and socket dir. */
  binds?: Array<{ source: string; target: string }>;
  /** Supplementary groups of the instance's user (docker, swarm), e.g. the engine socket's group. */
  groups?: string[];
}

/** An instance as its runtime sees it. */
export interface RuntimeInstance {
  /** Also the worker's FOPFLOW_INSTANCE_ID, so Keeper records and runtime entries match. */
  id: string;
  pool: string;
  version: string;
  runtime: RuntimeName;
  /** Where it runs: a host name, container id or swarm task. */
  host: string;
  startedAt: number;
}

export type RuntimeName = 'process' | 'docker' | 'swarm';

/**
 * Starts and stops worker instances. Starting returns at once: an instance reports itself to
 * Keeper (starting → warming → ready) when it is up. Stopping is graceful everywhere: SIGTERM,
 * the worker stops taking jobs and finishes those it holds, and only after graceMs is it killed.
 */
export interface InstanceRuntime {
  readonly name: RuntimeName;
  start(spec: InstanceSpec): Promise<RuntimeInstance>;
  /** Stops one instance gracefully; resolves once it is gone. */
  stop(id: string, graceMs: number): Promise<void>;
  /** Instances this runtime has running (for one pool, or all). */
  list(pool?: string): Promise<RuntimeInstance[]>;
  /** Stops everything it started (the scaler's own shutdown). */
  close(): Promise<void>;
}

/** Environment variables that tell a worker who it is. */
export const INSTANCE_ENV = {
  id: 'FOPFLOW_INSTANCE_ID',
  pool: 'FOPFLOW_POOL',
  version: 'FOPFLOW_VERSION',
  runtime: 'FOPFLOW_RUNTIME',
} as const;
