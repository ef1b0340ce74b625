/** Third-party commands: remote HTTP services called through the outbound guard. */
export * from './remote-command';
