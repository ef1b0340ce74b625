import { readFileSync } from 'node:fs';
import { z } from 'zod';

const tierSchema = z.object({
  weight: z.number().int().min(1).default(1),
  maxBacklog: z.number().int().min(1).default(10_000),
  requestsPerSecond: z.number().min(1).default(20),
  commandRequestsPerSecond: z.number().min(1).default(10),
  concurrentConnections: z.number().int().min(1).default(8),
});

const anonymousSchema = z.object({
  requestsPerSecond: z.number().min(1).default(500),
  commandRequestsPerSecond: z.number().min(1).default(250),
  concurrentConnections: z.number().int().min(1).default(64),
});

const fileSchema = z.object({
  tiers: z.record(z.string(), tierSchema).default({}),
  anonymous: anonymousSchema.default(anonymousSchema.parse({})),
  pipelines: z.record(z.string(), tierSchema.extend({ owner: z.string().min(1) })).default({}),
});

/** Settings of one tier (or private pipeline), each with its unit in the name. */
export interface TierSettings {
  /** Share of each command's worker concurrency, relative to the other tiers. */
  weight: number;
  /** Pending jobs of this tier past which submissions are refused. */
  maxBacklog: number;
  /** Requests per second per access key. */
  requestsPerSecond: number;
  /** Requests per second per access key and command. */
  commandRequestsPerSecond: number;
  /** Connections open at once per client. */
  concurrentConnections: number;
  /** Set for a private pipeline: the only access key that may use it. */
  owner?: string;
}

/** Limits of unsigned requests (public fop URLs), per client address. */
export type AnonymousLimits = z.infer<typeof anonymousSchema>;

/**
 * Reads the tier settings file; `names` (FOPFLOW_TIERS) decides which tiers exist, taking the
 * file's settings where it has them and defaults elsewhere. Pipelines become tiers of their own.
 */
export function loadTiers(file: string, names: readonly string[]): { tiers: Record<string, TierSettings>; anonymous: AnonymousLimits } {
  let text = '{}';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No file: every tier takes the defaults.
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const tiers: Record<string, TierSettings> = {};
  for (const name of names) tiers[name] = parsed.data.tiers[name] ?? tierSchema.parse({});
  for (const [name, settings] of Object.entries(parsed.data.pipelines)) {
    if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`${file}: pipeline '${name}' may hold only a-z, 0-9, '_' and '-'`);
    if (tiers[name]) throw new Error(`${file}: pipeline '${name}' has the name of a tier`);
    tiers[name] = settings;
  }
  return { tiers, anonymous: parsed.data.anonymous };
}
