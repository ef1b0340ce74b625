/** The UFOP contract: what a custom command's program answers, and the client that speaks to it. */
export * from './ufop.contract';
export * from './handler.client';
