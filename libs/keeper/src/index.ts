export * from './keeper';
export * from './pool-settings';
export * from './pool-state.store';
