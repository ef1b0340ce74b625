import { z } from 'zod';

/** An instance as Keeper records it. */
export const instanceSchema = z.looseObject({
  id: z.string(),
  pool: z.string(),
  version: z.string(),
  runtime: z.string(),
  host: z.string(),
  pid: z.number(),
  commands: z.array(z.string()),
  state: z.string(),
  inFlight: z.number().int(),
  startedAt: z.number(),
  heartbeatAt: z.number(),
});
/** `POST /v1/pools/{pool}/resize`; the pool's own maxInstances caps `instances` further. */
export const poolResizeSchema = z.object({ instances: z.number().int().min(0) });

/** `POST /v1/pools/{pool}/upgrade`: a gray upgrade to `version` (and `image`). */
export const poolUpgradeSchema = z.object({ version: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), image: z.string().min(1).max(256).optional() });

/** A pool's run-time changes: pinned size, version, image. */
export const poolStateSchema = z.object({ version: z.string().optional(), image: z.string().optional(), pinnedInstances: z.number().int().optional() });

export const poolListSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      settings: z.looseObject({ maxInstances: z.number().int() }),
      state: poolStateSchema,
      decision: z.looseObject({ at: z.number(), pending: z.number() }).optional(),
      instances: z.array(instanceSchema),
    }),
  ),
});
export const instanceListSchema = z.object({ items: z.array(instanceSchema) });
/** Command → ids of the ready instances running it. */
export const discoverySchema = z.record(z.string(), z.array(z.string()));
