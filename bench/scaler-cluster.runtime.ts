import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { POOL } from './scaler.plan';
import { BenchRuntime } from './scaler.runtimes';
import { runTracked } from './support/cleanup';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');
/** Where docker/cluster.sh up writes how to reach the cluster. */
const CLUSTER_ENV_FILE = '/run/fopflow-cluster/cluster.env';
const SERVICE_GONE_TIMEOUT_MS = 60_000;
const SERVICE_GONE_POLL_MS = 500;

/** The local three-node swarm as docker/cluster.sh describes it in its env file. */
export interface ClusterSettings {
  managerSocket: string;
  registry: string;
  hostIp: string;
  /** Every node's engine socket, manager first. */
  nodeSockets: string[];
}

export function readClusterSettings(): ClusterSettings {
  const values = new Map(
    readFileSync(CLUSTER_ENV_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const nodes = (values.get('FOPFLOW_CLUSTER_NODES') ?? '').split(' ').filter(Boolean).map((pair) => pair.slice(pair.indexOf('=') + 1));
  return {
    managerSocket: values.get('DOCKER_HOST')!.replace('unix://', ''),
    registry: values.get('FOPFLOW_CLUSTER_REGISTRY')!,
    hostIp: values.get('FOPFLOW_CLUSTER_HOST_IP')!,
    nodeSockets: nodes.map((node) => node.replace('unix://', '')),
  };
}

/** Brings the cluster up with the worker image in its registry (idempotent); answers whether it was already up. */
export function clusterUp(): boolean {
  let wasUp = true;
  try {
    execFileSync('docker', ['-H', `unix://${readClusterSettings().managerSocket}`, 'info'], { stdio: 'ignore' });
  } catch {
    wasUp = false;
  }
  execFileSync('bash', ['docker/cluster.sh', 'up'], { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, FOPFLOW_CLUSTER_IMAGES: 'fopflow/worker:latest' } });
  return wasUp;
}

export function clusterDown(): void {
  execFileSync('bash', ['docker/cluster.sh', 'down'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** Why the cluster cannot be made here, or undefined. */
export function clusterProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'the local cluster needs root (network namespaces, dockerd)';
  for (const tool of ['ip', 'nsenter', 'iptables', 'dockerd', 'docker-registry']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing (apt-get install -y iproute2 util-linux iptables docker.io docker-registry)`;
    }
  }
  return undefined;
}

/** Pulls the worker image on every node before the run, so that no start-up waits for a pull; answers each node's seconds. */
export async function prePull(cluster: ClusterSettings, image: string): Promise<number[]> {
  const seconds: number[] = [];
  for (const socket of cluster.nodeSockets) {
    const started = performance.now();
    await runTracked('docker pull', 'docker', ['-H', `unix://${socket}`, 'pull', '-q', image]);
    seconds.push((performance.now() - started) / 1000);
  }
  return seconds;
}

/**
 * The swarm runtime on the local three-node swarm: the scaler drives the manager through
 * DOCKER_HOST, the pool's image comes from the cluster registry, tasks spread over the nodes.
 * Workers run in the nodes' network namespaces, so Redis also listens on the host's bridge
 * address and every instance is given that one; the data dir is a host path, which every node
 * of this one-machine cluster sees.
 */
export function clusterRuntime(cluster: ClusterSettings): BenchRuntime {
  const onNodes = async (args: string[]) =>
    (await Promise.all(cluster.nodeSockets.map((socket) => runTracked('docker', 'docker', ['-H', `unix://${socket}`, ...args]))))
      .map((output) => output.trim())
      .filter(Boolean);
  const managerNow = (args: string[]) =>
    execFileSync('docker', ['-H', `unix://${cluster.managerSocket}`, ...args]).toString().split(/\s+/).filter(Boolean);
  const removeNow = () => {
    const services = managerNow(['service', 'ls', '-q', '--filter', `label=fopflow.pool=${POOL}`]);
    if (services.length) managerNow(['service', 'rm', ...services]);
  };
  return {
    name: 'swarm-cluster',
    containers: true,
    unavailable: clusterProblem,
    platform: { redisAlsoOn: [cluster.hostIp] },
    scalerEnv: (dataDir, redisPort) => ({
      DOCKER_HOST: `unix://${cluster.managerSocket}`,
      FOPFLOW_RUNTIME: 'swarm',
      FOPFLOW_WORKER_NETWORK: 'host',
      FOPFLOW_DATA_MOUNT: dataDir,
      FOPFLOW_SWARM_SPREAD: 'node.id',
      REDIS_URL: `redis://${cluster.hostIp}:${redisPort}`,
    }),
    // The nodes share this machine's process ids: the task's container, on whichever node, has a host pid.
    hostPid: async (instance) => {
      for (const socket of cluster.nodeSockets) {
        const node = ['-H', `unix://${socket}`];
        const container = (await runTracked('docker', 'docker', [...node, 'ps', '-q', '--filter', `label=com.docker.swarm.task.id=${instance.id}`])).trim();
        if (!container) continue;
        const pid = Number((await runTracked('docker', 'docker', [...node, 'inspect', '--format', '{{.State.Pid}}', container]).catch(() => '')).trim());
        return pid > 0 ? pid : undefined;
      }
      return undefined;
    },
    cleanup: async () => {
      removeNow();
      const deadline = Date.now() + SERVICE_GONE_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if ((await onNodes(['ps', '-aq', '--filter', `label=fopflow.pool=${POOL}`])).length === 0) return;
        await new Promise((done) => setTimeout(done, SERVICE_GONE_POLL_MS));
      }
      throw new Error(`the cluster's containers of this bench were still there after ${SERVICE_GONE_TIMEOUT_MS} ms`);
    },
    cleanupNow: removeNow,
  };
}
