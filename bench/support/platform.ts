import { join, resolve } from 'node:path';
import { builtAppsSnapshot } from './built-apps';
import { BenchChild, makeTempDir, removeTempDir, spawnTracked } from './cleanup';
import { freePort, waitFor } from './ports';
import { BenchRedis, startRedis } from './redis-server';
import { benchTiersFile } from './tiers-file';

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

/**
 * One tier, the default one. A worker splits each command's concurrency between the tiers by
 * weight, and every bench request goes to the default tier: with one tier, a worker that says
 * `imageView2×2` runs exactly 2 of the bench's jobs at once.
 */
const ONE_TIER_ENV: Readonly<Record<string, string>> = { FOPFLOW_TIERS: 'paid', FOPFLOW_DEFAULT_TIER: 'paid' };

/** How every benchmark's platform differs from the defaults, for the sections to say. */
export const PLATFORM_SETUP =
  'one tier (`FOPFLOW_TIERS=paid`), so all of the worker\'s jobs serve the bench, and no per-client rate limit ' +
  '(the bench is one client making all the load that production spreads over many)';

/**
 * How a benchmark wants the platform started: the built apps, one tier, no per-client rate limit
 * (see tiers-file.ts), a private Redis.
 */
export interface PlatformOptions {
  /** Variables added to both apps' environment (`FOPFLOW_WORKER_COMMANDS`, `FOPFLOW_CONCURRENCY`...). */
  env?: Record<string, string>;
  /**
   * A data dir the caller made and removes, so that objects uploaded once outlive this platform;
   * by default a fresh one, removed by stop(). The result cache's index lives in Redis, which is
   * always fresh, so a reused data dir still starts with an empty cache.
   */
  dataDir?: string;
}

/** Boots the platform from (a copy of) dist/ on free ports and a fresh Redis. */
export async function startPlatform(options: PlatformOptions = {}): Promise<BenchPlatform> {
  const built = await builtAppsSnapshot(REPO_ROOT);
  const redis = await startRedis();
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? makeTempDir('fopflow-bench-data-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...ONE_TIER_ENV,
    FOPFLOW_TIERS_FILE: benchTiersFile(REPO_ROOT),
    ...options.env,
    REDIS_URL: redis.url,
    FOPFLOW_DATA_DIR: dataDir,
  };
  const gateway = startApp(built, 'gateway', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const worker = startApp(built, 'worker', env);

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopAll([gateway, worker], redis, ownDataDir ? dataDir : undefined));
  try {
    await Promise.race([
      (async () => {
        await waitFor('gateway /ready', async () => (await fetch(`${url}/ready`)).ok, STARTUP_TIMEOUT_MS);
        await waitFor('worker ready', async () => worker.output().includes('ready'), STARTUP_TIMEOUT_MS);
      })(),
      endedEarly(gateway),
      endedEarly(worker),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- gateway ---\n${gateway.output()}\n--- worker ---\n${worker.output()}`);
  }
  return { url, gateway, worker, stop };
}

/** Rejects if `app` ends before start-up is over: an app that crashes at once is not waited for. */
function endedEarly(app: BenchChild): Promise<never> {
  const ended = app.exited.then((code) => {
    throw new Error(`${app.name} exited with ${code ?? 'a signal'} while starting`);
  });
  // Once start-up is over the race no longer listens; stopping the app later must not be an unhandled rejection.
  ended.catch(() => undefined);
  return ended;
}

function startApp(built: string, app: 'gateway' | 'worker', env: Record<string, string>): BenchChild {
  // The inherited environment stays, so FOPFLOW_* variables set by whoever runs the bench apply
  // unless the benchmark sets them itself. The copy lies outside the repository, so NODE_PATH
  // points it at the repository's node_modules; cwd stays the root, where config/ is.
  return spawnTracked(app, process.execPath, [join(built, 'apps', app, 'src', 'main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', NODE_PATH: join(REPO_ROOT, 'node_modules'), ...env },
  });
}

async function stopAll(apps: BenchChild[], redis: BenchRedis, dataDir: string | undefined): Promise<void> {
  await Promise.all(apps.map((app) => app.stop()));
  await redis.stop();
  if (dataDir !== undefined) removeTempDir(dataDir);
}

/**
 * Runs `work` on a freshly started platform and stops it afterwards, whatever happens; a failure
 * carries what the gateway and the worker printed, which is where its cause usually shows.
 */
export async function withPlatform<T>(options: PlatformOptions, work: (platform: BenchPlatform) => Promise<T>): Promise<T> {
  const platform = await startPlatform(options);
  try {
    return await work(platform);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- gateway ---\n${platform.gateway.output()}\n--- worker ---\n${platform.worker.output()}`);
  } finally {
    await platform.stop();
  }
}

/** Jobs at once the worker runs `command` with, as the worker itself logged it (`imageView2×2`). */
export function loggedConcurrency(worker: BenchChild, command: string): string {
  return new RegExp(`\\b${command}×(\\d+)`).exec(worker.output())?.[1] ?? 'unknown (not in the worker log)';
}
