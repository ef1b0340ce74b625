import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HandlerClient } from '@fopflow/ufop';
import { PART_REPEATS, PartTiming, UFOP_NAME } from './ufop.plan';
import { percentile } from './support/load';

/** Longest one GET /health of the hop's timing may take, in ms. */
const HOP_PROBE_TIMEOUT_MS = 2_000;

/**
 * The hop alone: GET /health through a sandbox's socket, a new connection each time as every
 * request makes one, through the forwarder to the program, which answers at once.
 */
export function timeHop(socketPath: string): Promise<PartTiming> {
  const client = new HandlerClient(socketPath, UFOP_NAME);
  return timeRepeatedly(async () => {
    const probe = await client.probeHealth(HOP_PROBE_TIMEOUT_MS);
    if (!probe.ok) throw new Error(`GET /health through ${socketPath}: ${probe.detail}`);
  });
}

/**
 * The copy alone: a fresh work dir under `root`, the source streamed into it as a worker fetches
 * a job's source from the bucket, and the dir removed, as when the job ends.
 */
export function timeWorkDirCopy(sourcePath: string, root: string): Promise<PartTiming> {
  let jobs = 0;
  return timeRepeatedly(async () => {
    const workDir = join(root, `work-${jobs++}`);
    await mkdir(workDir, { recursive: true });
    await pipeline(createReadStream(sourcePath), createWriteStream(join(workDir, 'source')));
    await rm(workDir, { recursive: true, force: true });
  });
}

async function timeRepeatedly(part: () => Promise<void>): Promise<PartTiming> {
  const latenciesMs: number[] = [];
  for (let n = 0; n < PART_REPEATS; n++) {
    const start = performance.now();
    await part();
    latenciesMs.push(performance.now() - start);
  }
  latenciesMs.sort((a, b) => a - b);
  return { p50Ms: percentile(latenciesMs, 0.5), p99Ms: percentile(latenciesMs, 0.99) };
}
