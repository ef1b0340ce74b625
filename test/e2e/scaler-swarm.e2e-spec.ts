import { execFileSync } from 'node:child_process';
import { describeScalerScenarios } from '../support/scaler-scenarios';
import { buildWorkerImage, removeServices } from '../support/docker';

describeScalerScenarios({
  name: 'swarm',
  prepare: buildWorkerImage,
  cleanup: removeServices,
  shareDataDir: true,
  scalerEnv: (platform) => ({ FOPFLOW_RUNTIME: 'swarm', FOPFLOW_WORKER_NETWORK: 'host', FOPFLOW_DATA_MOUNT: platform.dataDir }),
  // The instance id is the swarm task's id; its container carries it as a label.
  kill: (instance) => {
    const container = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.swarm.task.id=${instance.id}`]).toString().trim();
    execFileSync('docker', ['kill', '--signal', 'KILL', container], { stdio: 'ignore' });
  },
});
