export * from './admin-token.store';
export * from './config';
export * from './config.module';
export * from './process-signals';
export * from './storage.settings';
export * from './tiers';
export * from './processor.modules';
