import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { BenchRuntimeName, POOL } from './scaler.plan';
import type { PlatformOptions } from './support/platform';
import { runTracked } from './support/cleanup';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** How long the containers of removed services may take to go, and how often that is checked, in ms. */
const SERVICE_GONE_TIMEOUT_MS = 60_000;
const SERVICE_GONE_POLL_MS = 500;

/** An instance as Keeper reports it, as much as the runtimes need. */
export interface InstanceRef {
  id: string;
  /** Its process id as the worker saw it: the host's for the process runtime, the container's otherwise. */
  pid: number;
}

/** One runtime the scaler can drive, as the bench sets it up and cleans up after it. */
export interface BenchRuntime {
  name: BenchRuntimeName;
  /** Why it cannot run on this machine, or undefined. */
  unavailable(): string | undefined;
  /** Whether its workers run in containers, from fopflow/worker:latest. */
  containers: boolean;
  /** The scaler's environment for it, given the platform's data dir and Redis port. */
  scalerEnv(dataDir: string, redisPort: number): Record<string, string>;
  /** How the platform must start for its workers (Redis reachable from other namespaces). */
  platform?: Partial<PlatformOptions>;
  /** The host's id of an instance's worker process, to count its CPU as the bench's; undefined if not found. */
  hostPid(instance: InstanceRef): Promise<number | undefined>;
  /** Removes what the runtime left behind: containers and services outlive their scaler by design. */
  cleanup(): Promise<void>;
  /** The same at once, synchronously, for an interrupted run's exit hook. */
  cleanupNow(): void;
}

/** The data dir mounted at /data in every container; Redis on the host's loopback, reached through the host network. */
const containerEnv = (runtime: 'docker' | 'swarm', dataDir: string) => ({
  FOPFLOW_RUNTIME: runtime,
  FOPFLOW_WORKER_NETWORK: 'host',
  FOPFLOW_DATA_MOUNT: dataDir,
});

export const RUNTIMES: readonly BenchRuntime[] = [
  {
    name: 'process',
    containers: false,
    unavailable: () => undefined,
    scalerEnv: () => ({ FOPFLOW_RUNTIME: 'process' }),
    hostPid: async (instance) => instance.pid,
    // The scaler's children stop with it.
    cleanup: async () => undefined,
    cleanupNow: () => undefined,
  },
  {
    name: 'docker',
    containers: true,
    unavailable: () => dockerProblem(),
    scalerEnv: (dataDir) => containerEnv('docker', dataDir),
    // The instance id is the container's name.
    hostPid: (instance) => containerPid(instance.id),
    cleanup: removeContainers,
    cleanupNow: removeContainersNow,
  },
  {
    name: 'swarm',
    containers: true,
    unavailable: () => dockerProblem() ?? swarmProblem(),
    scalerEnv: (dataDir) => containerEnv('swarm', dataDir),
    // The instance id is the swarm task's; its container carries it as a label.
    hostPid: async (instance) => {
      const [container] = await docker(['ps', '-q', '--filter', `label=com.docker.swarm.task.id=${instance.id}`]);
      return container ? containerPid(container) : undefined;
    },
    cleanup: removeServices,
    cleanupNow: removeServicesNow,
  },
];

/** Builds fopflow/worker:latest from dist/ as it is (the bench has just built it); answers its seconds. */
export async function buildWorkerImage(): Promise<number> {
  const started = performance.now();
  await runTracked('build-images', 'bash', ['docker/build-images.sh'], { cwd: REPO_ROOT, env: { ...process.env, FOPFLOW_SKIP_NPM_BUILD: '1' } });
  return (performance.now() - started) / 1000;
}

/** The Docker engine's version, or undefined without one. */
export function dockerEngineVersion(): string | undefined {
  if (dockerProblem()) return undefined;
  return execFileSync('docker', ['info', '--format', '{{.ServerVersion}}']).toString().trim() || undefined;
}

function dockerProblem(): string | undefined {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return '`docker info` failed: no Docker engine reachable';
  }
}

function swarmProblem(): string | undefined {
  const state = execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}']).toString().trim();
  return state === 'active true' ? undefined : `this engine is not a swarm manager (swarm state: ${state})`;
}

/** Runs the docker CLI as a tracked child (its CPU is the bench's); answers its output's words. */
async function docker(args: string[]): Promise<string[]> {
  return (await runTracked('docker', 'docker', args)).split(/\s+/).filter(Boolean);
}

async function containerPid(container: string): Promise<number | undefined> {
  const [pid] = await docker(['inspect', '--format', '{{.State.Pid}}', container]).catch(() => []);
  return Number(pid) > 0 ? Number(pid) : undefined;
}

/** Only this bench's pool: another run's containers on the same engine are left alone. Synchronous, for the exit hook too. */
export function removeContainersNow(): void {
  const ids = dockerNow(['ps', '-aq', '--filter', `label=fopflow.pool=${POOL}`]);
  if (ids.length) dockerNow(['rm', '-f', ...ids]);
}

/** Removes this bench's services (`fopflow-<pool>-<version>`), without waiting for their containers. */
export function removeServicesNow(): void {
  const services = dockerNow(['service', 'ls', '-q', '--filter', `label=fopflow.pool=${POOL}`]);
  if (services.length) dockerNow(['service', 'rm', ...services]);
}

async function removeContainers(): Promise<void> {
  removeContainersNow();
}

/** Removes this bench's services and waits for the swarm to remove their containers. */
async function removeServices(): Promise<void> {
  removeServicesNow();
  const deadline = Date.now() + SERVICE_GONE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await docker(['ps', '-aq', '--filter', `label=fopflow.pool=${POOL}`])).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, SERVICE_GONE_POLL_MS));
  }
  throw new Error(`the containers of this bench's swarm services were still there after ${SERVICE_GONE_TIMEOUT_MS} ms`);
}

function dockerNow(args: string[]): string[] {
  return execFileSync('docker', args).toString().split(/\s+/).filter(Boolean);
}
