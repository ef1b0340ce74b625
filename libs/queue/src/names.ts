import { createHash } from 'node:crypto';

/** Queue of the `notify` webhooks. */
export const NOTIFY_QUEUE = 'notify';

/** Queue of image builds: the gateway adds one job per upload, a scaler's builder takes it. */
export const UFOP_BUILD_QUEUE = 'ufop.build';

/** Prefix of every Redis key Fopflow writes outside BullMQ's own. */
export const REDIS_KEY_PREFIX = 'fopflow';

/** `fop.<command>.<tier>`: one queue per command and tier (BullMQ forbids `:` in names). */
export function fopQueueName(command: string, tier: string): string {
  return `fop.${command}.${tier}`;
}

/** Every fop queue of the given commands across the given tiers. */
export function fopQueueNames(commands: readonly string[], tiers: readonly string[]): string[] {
  return commands.flatMap((command) => tiers.map((tier) => fopQueueName(command, tier)));
}

/** Splits a fop queue name back into its command and tier; undefined for other queues. */
export function parseFopQueueName(name: string): { command: string; tier: string } | undefined {
  const match = /^fop\.([^.]+)\.([^.]+)$/.exec(name);
  return match ? { command: match[1], tier: match[2] } : undefined;
}

/**
 * Id of the result of `pipeline` over the source version `etag`. Identical requests share it,
 * so it is both the job id (concurrent requests share one job) and the result cache key.
 */
export function resultKey(bucket: string, key: string, etag: string, pipeline: string): string {
  return createHash('sha256').update(`${bucket}\n${key}\n${etag}\n${pipeline}`).digest('hex');
}

/** Channel on which gateways ask workers to stop a running job. */
export const CANCEL_CHANNEL = `${REDIS_KEY_PREFIX}:cancel`;
