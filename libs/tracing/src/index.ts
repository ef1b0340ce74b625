export * from './tracing.setup';
export * from './job-trace';
