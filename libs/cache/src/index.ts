export * from './result-cache';
