export * from './result-cache';
export * from './hot-result-index';
