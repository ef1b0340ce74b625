/**
 * Custom commands, in four parts with one face each: the registry of records, the build of an
 * upload into an image, the sandbox a program runs in, and third-party (remote) services; the
 * contract is what a program and its caller share.
 */
export * from './ufop.errors';
export * from './contract';
export * from './registry';
export * from './build';
export * from './sandbox';
export * from './remote';
