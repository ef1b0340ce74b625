import { join, resolve } from 'node:path';
import { BenchChild, makeTempDir, removeTempDir, spawnTracked } from './cleanup';
import { freePort, waitFor } from './ports';
import { BenchRedis, startRedis } from './redis-server';

/** Repository root, seen from dist/bench/support: the built apps and config/ live under it. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** How long the gateway and the worker may take to come up, in ms. */
const STARTUP_TIMEOUT_MS = 30_000;

/** The built gateway, one worker and a private Redis, as production runs them. */
export interface BenchPlatform {
  url: string;
  gateway: BenchChild;
  worker: BenchChild;
  /** Stops the apps, then Redis, and removes the data dir; safe to call more than once. */
  stop(): Promise<void>;
}

/** Boots the platform from dist/ on free ports and a fresh data dir. */
export async function startPlatform(): Promise<BenchPlatform> {
  const redis = await startRedis();
  const dataDir = makeTempDir('fopflow-bench-data-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { REDIS_URL: redis.url, FOPFLOW_DATA_DIR: dataDir };
  const gateway = startApp('gateway', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const worker = startApp('worker', env);

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopAll([gateway, worker], redis, dataDir));
  try {
    await waitFor('gateway /ready', async () => (await fetch(`${url}/ready`)).ok, STARTUP_TIMEOUT_MS);
    await waitFor('worker ready', async () => worker.output().includes('ready'), STARTUP_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- gateway ---\n${gateway.output()}\n--- worker ---\n${worker.output()}`);
  }
  return { url, gateway, worker, stop };
}

function startApp(app: 'gateway' | 'worker', env: Record<string, string>): BenchChild {
  // The inherited environment stays, so FOPFLOW_* variables set by whoever runs the bench apply.
  return spawnTracked(app, process.execPath, [join(REPO_ROOT, `dist/apps/${app}/src/main.js`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

async function stopAll(apps: BenchChild[], redis: BenchRedis, dataDir: string): Promise<void> {
  await Promise.all(apps.map((app) => app.stop()));
  await redis.stop();
  removeTempDir(dataDir);
}
