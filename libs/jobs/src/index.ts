export * from './persistent-job.types';
export * from './persistent-job.store';
export * from './job-item.outcome';
