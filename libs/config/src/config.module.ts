import { Global, Module } from '@nestjs/common';
import { FopflowConfig, loadConfig } from './config';

/** Injection token of the validated FopflowConfig. */
export const FOPFLOW_CONFIG = Symbol('FOPFLOW_CONFIG');

/** Provides the config parsed once from the environment; a bad value stops start-up. */
@Global()
@Module({
  providers: [{ provide: FOPFLOW_CONFIG, useFactory: (): FopflowConfig => loadConfig() }],
  exports: [FOPFLOW_CONFIG],
})
export class ConfigModule {}
