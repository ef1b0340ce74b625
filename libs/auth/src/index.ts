export * from './qiniu-sign';
export * from './access-keys';
export * from './request-auth';
export * from './download-token';
export * from './access.decision';
export * from './object-access';
