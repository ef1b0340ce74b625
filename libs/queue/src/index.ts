export * from './names';
export * from './payloads';
export * from './failure';
export * from './connection';
export * from './fop-producer';
export * from './persistent-job.types';
export * from './persistent-job.store';
export * from './retention';
