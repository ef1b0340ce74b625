export * from './keeper';
export * from './pool-settings';
