import { InstanceRuntime } from '@fopflow/runtime';

/** The docker or swarm runtime, configured from the environment (FOPFLOW_WORKER_NETWORK, FOPFLOW_DATA_VOLUME). */
export function createContainerRuntime(name: 'docker' | 'swarm'): InstanceRuntime {
  throw new Error(`FOPFLOW_RUNTIME=${name} is not available in this build`);
}
