import { DEFAULT_FLAVOR, DEFAULT_MAX_INSTANCES, DEFAULT_TIMEOUT_MS } from '@fopflow/ufop';
import { z } from 'zod';
import { instanceSchema } from '../pools/pool.schemas';

/** Most instances one command may ask for (a resize, or its registration's maxInstances). */
export const MAX_COMMAND_INSTANCES = 64;
/** Longest a command's job may run, in ms (30 min). */
export const MAX_COMMAND_TIMEOUT_MS = 30 * 60_000;

/** `POST /v1/ufops`: registers a UFOP (or, for the operator, a third-party service with `remote`). */
export const registrationSchema = z
  .object({
    name: z.string(),
    // Qiniu's `-m`: 1 public, 2 private; the words are accepted too.
    mode: z.union([z.literal(1), z.literal(2), z.literal('public'), z.literal('private')]).default(2),
    flavor: z.string().default(DEFAULT_FLAVOR),
    description: z.string().max(500).default(''),
    maxInstances: z.number().int().min(1).max(MAX_COMMAND_INSTANCES).default(DEFAULT_MAX_INSTANCES),
    timeoutMs: z.number().int().min(100).max(MAX_COMMAND_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
    remote: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** `POST /v1/ufops/{name}/resize`: a pinned count, or back to the scaler. */
export const commandResizeSchema = z.union([
  z.object({ instances: z.number().int().min(0).max(MAX_COMMAND_INSTANCES) }).strict(),
  z.object({ auto: z.literal(true), maxInstances: z.number().int().min(1).max(MAX_COMMAND_INSTANCES).optional() }).strict(),
]);

/** `PUT /v1/ufops/{name}/version`: the version new instances run. */
export const useVersionSchema = z.object({ version: z.string().min(1).max(64) }).strict();

const versionSchema = z.looseObject({ version: z.string(), state: z.string() });

/** What a caller sees of a command (a remote command's credentials hidden). */
export const commandViewSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['ufop', 'remote']),
  owner: z.string(),
  mode: z.enum(['public', 'private']),
  flavor: z.string(),
  description: z.string(),
  createdAt: z.number(),
  versions: z.array(versionSchema),
  currentVersion: z.string().optional(),
  maxInstances: z.number().int(),
  instances: z.number().int().optional(),
  timeoutMs: z.number().int(),
  pool: z.string(),
  remote: z.record(z.string(), z.unknown()).optional(),
});

export const commandListSchema = z.object({ items: z.array(commandViewSchema) });
export const commandInfoSchema = commandViewSchema.extend({ live: z.array(instanceSchema) });
export const buildAcceptedSchema = z.object({ name: z.string(), version: z.string(), state: z.string() });
export const versionListSchema = z.object({ current: z.string().optional(), items: z.array(versionSchema) });
export const buildLogSchema = z.object({ state: z.string(), lines: z.array(z.string()) });
export const runLogListSchema = z.object({ items: z.array(z.object({ instance: z.string(), version: z.string(), at: z.number(), lines: z.array(z.string()) })) });
