import { DockerRuntime, InstanceRuntime, SwarmRuntime } from '@fopflow/runtime';

/**
 * The docker or swarm runtime, configured from the environment: FOPFLOW_WORKER_NETWORK (the
 * network workers join: compose's network, an overlay, or `host`) and FOPFLOW_DATA_MOUNT (the
 * volume or host path holding buckets and the result cache, mounted at /data in each worker).
 */
export function createContainerRuntime(name: 'docker' | 'swarm', env: NodeJS.ProcessEnv = process.env): InstanceRuntime {
  const options = { network: env.FOPFLOW_WORKER_NETWORK || undefined, dataMount: env.FOPFLOW_DATA_MOUNT || undefined };
  return name === 'docker' ? new DockerRuntime(options) : new SwarmRuntime(options);
}
