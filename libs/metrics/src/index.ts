export * from './registry';
export * from './job-stats';
