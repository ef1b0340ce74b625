import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';

const AK = 'ak-leftovers';
const SK = 'sk-leftovers-secret';
const KEYS = `${AK}:${SK}:paid`;
const TWO_HOURS_MS = 2 * 3600_000;

/** Writes `path` (and its directory) and dates it `ageMs` back, as a crashed writer leaves it. */
function plant(path: string, ageMs: number, directory = false): string {
  if (directory) mkdirSync(path, { recursive: true });
  else {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'half-written');
  }
  const then = new Date(Date.now() - ageMs);
  utimesSync(path, then, then);
  return path;
}

describe('leftovers of crashed processes are swept at start, live work is not', () => {
  let platform: Platform;
  let client: ApiClient;
  const extra: AppProcess[] = [];

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: KEYS });
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('media/photo.jpg', await makeJpeg(64, 48), 'image/jpeg')).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(extra.map((app) => app.stop()));
    await platform?.stop();
  });

  it('a starting worker removes dead work dirs, cache temp files and .part files, and keeps a running sibling’s', async () => {
    const workRoot = join(platform.dataDir, 'work');
    const liveSiblings = readdirSync(workRoot).filter((name) => name.startsWith('proc-'));
    expect(liveSiblings).toHaveLength(1);
    // The running worker's directory is live: it marks it every heartbeat.
    const deadWorker = plant(join(workRoot, 'proc-crashedhost-999-0badc0de'), TWO_HOURS_MS, true);
    const cacheTemp = plant(join(platform.dataDir, 'cache', 'tmp', 'deadbeef.1234'), TWO_HOURS_MS);
    const interrupted = plant(join(platform.dataDir, 'buckets', 'media', 'tmp', 'crashed.part'), TWO_HOURS_MS);
    const inFlight = plant(join(platform.dataDir, 'buckets', 'media', 'tmp', 'in-flight.part'), 0);

    const second = await platform.startWorker();
    expect(existsSync(deadWorker)).toBe(false);
    expect(existsSync(cacheTemp)).toBe(false);
    expect(existsSync(interrupted)).toBe(false);
    expect(existsSync(inFlight)).toBe(true);
    expect(existsSync(join(workRoot, liveSiblings[0]))).toBe(true);
    // (The first worker's heartbeat may have taken the dead directory already.)
    expect(second.output()).toMatch(/removed \d+ leftover/);

    // Both workers still do their work on the shared data dir.
    const answer = await fetch(`${platform.url}/media/photo.jpg?imageView2/2/w/32`);
    expect(answer.status).toBe(200);
  });

  it('a starting gateway removes interrupted uploads', async () => {
    const interrupted = plant(join(platform.dataDir, 'buckets', 'media', 'tmp', 'gateway-crash.part'), TWO_HOURS_MS);
    const port = await freePort();
    const gateway = startApp('gateway', { REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: platform.dataDir, FOPFLOW_KEYS: KEYS, PORT: String(port), HOST: '127.0.0.1' });
    extra.push(gateway);
    await waitFor('second gateway /ready', async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok);
    expect(existsSync(interrupted)).toBe(false);
    expect((await client.json<{ items: Array<{ key: string }> }>('GET', '/v1/objects/media')).body.items.map((item) => item.key)).toEqual(['photo.jpg']);
  });
});
