/** From an upload to a published image: manifest, Dockerfile, tar, build, push, and the template. */
export * from './ufop-manifest';
export * from './dockerfile.generator';
export * from './tar-archive';
export * from './ufop.builder';
export * from './build.job';
export * from './image.publisher';
export * from './ufop.template';
