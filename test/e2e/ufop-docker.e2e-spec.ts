import { describeUfopScenarios, UFOP_TEST_POOLS } from '../support/ufop-scenarios';
import { buildWorkerImage, removeContainers } from '../support/docker';

describeUfopScenarios({
  name: 'docker',
  prepare: buildWorkerImage,
  cleanup: () => removeContainers(UFOP_TEST_POOLS),
  shareDataDir: true,
  // Workers are containers reaching the test's Redis on the host's loopback; each starts its
  // program's sandbox through the engine socket the scaler hands it.
  scalerEnv: (platform) => ({ FOPFLOW_RUNTIME: 'docker', FOPFLOW_WORKER_NETWORK: 'host', FOPFLOW_DATA_MOUNT: platform.dataDir }),
});
