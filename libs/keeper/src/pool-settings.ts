import { readFileSync } from 'node:fs';
import { z } from 'zod';

const poolSchema = z.object({
  commands: z.array(z.string().min(1)).min(1),
  minInstances: z.number().int().min(0).default(1),
  maxInstances: z.number().int().min(1).default(4),
  targetPendingPerInstance: z.number().min(1).default(20),
  scaleDownStabilizationS: z.number().min(0).default(60),
  maxScaleUpStep: z.number().int().min(1).default(4),
  graceMs: z.number().int().min(0).default(30_000),
  image: z.string().default('fopflow/worker:latest'),
  version: z.string().min(1).default('1'),
  cpus: z.number().positive().optional(),
  memoryMiB: z.number().int().positive().optional(),
});

/** One pool: its commands and how it scales, each figure with its unit in the name. */
export type PoolSettings = z.infer<typeof poolSchema>;

/** Reads config/pools.json; names the bad entry. Every command must belong to exactly one pool. */
export function loadPools(file: string, knownCommands: readonly string[]): Record<string, PoolSettings> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = z.object({ pools: z.record(z.string().regex(/^[a-z0-9-]+$/), poolSchema) }).safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const pools = parsed.data.pools;
  const owner = new Map<string, string>();
  for (const [name, pool] of Object.entries(pools)) {
    if (pool.minInstances > pool.maxInstances) throw new Error(`${file}: pool '${name}' has minInstances over maxInstances`);
    for (const command of pool.commands) {
      if (!knownCommands.includes(command)) throw new Error(`${file}: pool '${name}' names unknown command '${command}'`);
      if (owner.has(command)) throw new Error(`${file}: command '${command}' is in pools '${owner.get(command)}' and '${name}'`);
      owner.set(command, name);
    }
  }
  return pools;
}

/** The pool that runs `command`, if any. */
export function poolOf(pools: Record<string, PoolSettings>, command: string): string | undefined {
  return Object.entries(pools).find(([, pool]) => pool.commands.includes(command))?.[0];
}
