import { describeScalerScenarios } from '../support/scaler-scenarios';

describeScalerScenarios({
  name: 'process',
  scalerEnv: () => ({ FOPFLOW_RUNTIME: 'process' }),
  kill: (instance) => process.kill(instance.pid, 'SIGKILL'),
});
