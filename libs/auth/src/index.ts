export * from './qiniu-sign';
export * from './access-keys';
