/** Where a custom command's program runs: an isolated container pair reached over a Unix socket. */
export * from './ufop.sandbox';
export { checkSandboxLimits, DEFAULT_SANDBOX_PORT_IMAGE, SANDBOX_SOCKET_NAME, sandboxContainerName, UFOP_FORWARDER_USER_ID, UFOP_SANDBOX_LABEL } from './sandbox.containers';
export type { SandboxLimits } from './sandbox.containers';
