export * from './instance-runtime';
export * from './process.runtime';
export * from './docker.runtime';
export * from './swarm.runtime';
export * from './swarm.placement';
