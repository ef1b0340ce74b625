import { describeUfopScenarios, UFOP_TEST_POOLS } from '../support/ufop-scenarios';
import { buildWorkerImage, removeServices } from '../support/docker';

describeUfopScenarios({
  name: 'swarm',
  prepare: buildWorkerImage,
  cleanup: () => removeServices(UFOP_TEST_POOLS),
  shareDataDir: true,
  // Workers are swarm tasks on this single node; each starts its program's sandbox through the
  // node's engine socket, which the service mounts.
  scalerEnv: (platform) => ({ FOPFLOW_RUNTIME: 'swarm', FOPFLOW_WORKER_NETWORK: 'host', FOPFLOW_DATA_MOUNT: platform.dataDir }),
});
