export * from './instance-runtime';
