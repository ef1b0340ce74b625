import { execFileSync } from 'node:child_process';
import { describeScalerScenarios } from '../support/scaler-scenarios';
import { buildWorkerImage, removeContainers } from '../support/docker';

describeScalerScenarios({
  name: 'docker',
  prepare: buildWorkerImage,
  cleanup: removeContainers,
  shareDataDir: true,
  // Workers reach the test's Redis on the host's loopback; buckets and cache are the host's dir.
  scalerEnv: (platform) => ({ FOPFLOW_RUNTIME: 'docker', FOPFLOW_WORKER_NETWORK: 'host', FOPFLOW_DATA_MOUNT: platform.dataDir }),
  // The instance id is the container's name.
  kill: (instance) => execFileSync('docker', ['kill', '--signal', 'KILL', instance.id], { stdio: 'ignore' }),
});
