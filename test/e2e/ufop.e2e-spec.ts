import { describeUfopScenarios } from '../support/ufop-scenarios';

// Instances are child processes of the scaler; each starts its program's sandbox on the engine.
describeUfopScenarios({ name: 'process', scalerEnv: () => ({}) });
