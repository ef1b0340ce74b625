export * from './ufop.errors';
export * from './ufop-manifest';
export * from './dockerfile.generator';
export * from './tar-archive';
export * from './ufop.builder';
