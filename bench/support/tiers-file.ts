import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './cleanup';

/** A per-client limit no bench reaches: requests per second, connections at once. */
const UNREACHED_LIMIT = 1_000_000;

let written: string | undefined;

/**
 * A copy of config/tiers.json with the per-client limits of unsigned requests lifted, for
 * FOPFLOW_TIERS_FILE. Those limits are per client address, and the bench is one client making
 * all the load that production spreads over many: with them in force, a benchmark would measure
 * the limiter (429s), not the platform. Written once per bench process; answers its path.
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
  const path = join(makeTempDir('fopflow-bench-tiers-'), 'tiers.json');
  writeFileSync(path, JSON.stringify({ ...settings, anonymous: lifted }, null, 2));
  written = path;
  return path;
}
