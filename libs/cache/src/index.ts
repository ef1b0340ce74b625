export * from './result-cache';
export * from './result-cache.options';
export * from './hot-result-index';
