export * from './result-cache';
export * from './result-cache.options';
