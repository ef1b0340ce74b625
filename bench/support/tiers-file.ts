import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './cleanup';

/** A per-client limit no bench reaches: requests per second, connections at once. */
const UNREACHED_LIMIT = 1_000_000;
/** A tier backlog no bench reaches, in pending jobs: submissions are never refused for it. */
const UNREACHED_BACKLOG = 100_000_000;

let written: string | undefined;

/**
 * A copy of config/tiers.json with every per-client limit lifted, for FOPFLOW_TIERS_FILE: those of
 * unsigned requests (per client address) and those of each tier's access keys (per key), and with
 * no tier's backlog limit in reach. The bench is one client (one key) making all the load that
 * production spreads over many, and the async benchmark piles up jobs no worker takes: with the
 * limits in force, a benchmark would measure the limiter (429s, 503s), not the platform. A tier's
 * weight stays. Written once per bench process; answers its path.
 */
export function benchTiersFile(repoRoot: string): string {
  if (written) return written;
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(readFileSync(join(repoRoot, 'config', 'tiers.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    // No file (or not JSON, which the apps would refuse themselves): the defaults, limits lifted.
  }
  const lifted = { requestsPerSecond: UNREACHED_LIMIT, commandRequestsPerSecond: UNREACHED_LIMIT, concurrentConnections: UNREACHED_LIMIT };
  const tiers = Object.entries((settings.tiers ?? {}) as Record<string, Record<string, unknown>>).map(([name, tier]) => [
    name,
    { ...tier, ...lifted, maxBacklog: UNREACHED_BACKLOG },
  ]);
  const path = join(makeTempDir('fopflow-bench-tiers-'), 'tiers.json');
  writeFileSync(path, JSON.stringify({ ...settings, tiers: Object.fromEntries(tiers), anonymous: lifted }, null, 2));
  written = path;
  return path;
}
