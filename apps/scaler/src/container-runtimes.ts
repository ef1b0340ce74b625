import { DockerRuntime, InstanceRuntime, SwarmRuntime } from '@fopflow/runtime';

/**
 * The docker or swarm runtime, configured from the environment: FOPFLOW_WORKER_NETWORK (the
 * network workers join: compose's network, an overlay, or `host`) and FOPFLOW_DATA_MOUNT (the
 * volume or host path holding buckets and the result cache, mounted at /data in each worker).
 * Swarm only: FOPFLOW_SWARM_CONSTRAINTS and FOPFLOW_SWARM_SPREAD, comma-separated, place the
 * worker services (`node.labels.fopflow.node!=manager`; `node.id` spreads tasks over the nodes).
 * The engine is DOCKER_HOST's (a remote manager's socket), else /var/run/docker.sock.
 */
export function createContainerRuntime(name: 'docker' | 'swarm', env: NodeJS.ProcessEnv = process.env): InstanceRuntime {
  const options = { network: env.FOPFLOW_WORKER_NETWORK || undefined, dataMount: env.FOPFLOW_DATA_MOUNT || undefined };
  if (name === 'docker') return new DockerRuntime(options);
  return new SwarmRuntime({ ...options, constraints: list(env.FOPFLOW_SWARM_CONSTRAINTS), spreadOver: list(env.FOPFLOW_SWARM_SPREAD) });
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
