import { DynamicModule, Global, Module } from '@nestjs/common';
import { FopflowConfig, loadConfig } from './config';

/** Injection token of the validated FopflowConfig. */
export const FOPFLOW_CONFIG = Symbol('FOPFLOW_CONFIG');

/** Provides the config parsed once from the environment; a bad value stops start-up. */
@Global()
@Module({
  providers: [{ provide: FOPFLOW_CONFIG, useFactory: (): FopflowConfig => loadConfig() }],
  exports: [FOPFLOW_CONFIG],
})
export class ConfigModule {
  /** Provides `config` as given instead: the gateway's, completed with its operator token. */
  static forRoot(config: FopflowConfig): DynamicModule {
    return { module: ConfigModule, global: true, providers: [{ provide: FOPFLOW_CONFIG, useValue: config }], exports: [FOPFLOW_CONFIG] };
  }
}
