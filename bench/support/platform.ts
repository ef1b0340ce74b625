import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { builtAppsSnapshot } from './built-apps';
import { BenchChild, makeTempDir, removeTempDir, spawnTracked } from './cleanup';
import { freePort, waitFor } from './ports';
import { BenchRedis, startRedis } from './redis-server';
import { benchTiersFile } from './tiers-file';
import { BENCH_ADMIN_TOKEN } from './admin-token';

/** Repository root, seen from dist/bench/support: the built apps and config/ live under it. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** How long the gateway and the worker may take to come up, in ms. */
const STARTUP_TIMEOUT_MS = 30_000;

/** Characters of an app's output kept in an error message: its last ones, where a failure shows. */
const OUTPUT_TAIL_CHARS = 4_000;

/** A built app the bench starts. */
export type BuiltApp = 'gateway' | 'worker' | 'scaler';

/** The built gateway and a private Redis, as production runs them; no worker. */
export interface BenchGateway {
  url: string;
  /** The platform's private redis-server. */
  redis: BenchRedis;
  /** Buckets and result cache, shared by every app of the platform. */
  dataDir: string;
  gateway: BenchChild;
  /**
   * Starts another built app (a scaler, say) with the platform's environment and `env` on top;
   * stop() stops it first. Not waited for: the caller knows what "up" means for it.
   */
  startApp(app: BuiltApp, env?: Record<string, string>): Promise<BenchChild>;
  /** Stops the apps, then Redis, and removes the data dir; safe to call more than once. */
  stop(): Promise<void>;
}

/** The built gateway, one worker and a private Redis. */
export interface BenchPlatform extends BenchGateway {
  worker: BenchChild;
}

/**
 * One tier, the default one. A worker splits each command's concurrency between the tiers by
 * weight, and every bench request goes to the default tier: with one tier, a worker that says
 * `imageView2×2` runs exactly 2 of the bench's jobs at once.
 */
const ONE_TIER_ENV: Readonly<Record<string, string>> = { FOPFLOW_TIERS: 'paid', FOPFLOW_DEFAULT_TIER: 'paid', FOPFLOW_ADMIN_TOKEN: BENCH_ADMIN_TOKEN };

/** How every benchmark's platform differs from the defaults, for the sections to say. */
export const PLATFORM_SETUP =
  'one tier (`FOPFLOW_TIERS=paid`), so all of the worker\'s jobs serve the bench, and no per-client rate limit ' +
  '(the bench is one client making all the load that production spreads over many)';

/**
 * How a benchmark wants the platform started: the built apps, one tier, no per-client rate limit
 * (see tiers-file.ts), a private Redis.
 */
export interface PlatformOptions {
  /** Variables added to every app's environment (`FOPFLOW_WORKER_COMMANDS`, `FOPFLOW_CONCURRENCY`...). */
  env?: Record<string, string>;
  /**
   * A data dir the caller made and removes, so that objects uploaded once outlive this platform;
   * by default a fresh one, removed by stop(). The result cache's index lives in Redis, which is
   * always fresh, so a reused data dir still starts with an empty cache.
   */
  dataDir?: string;
  /**
   * Lets workers in containers, which run as an ordinary user, write where the gateway does: the
   * data dir is opened to everyone and the gateway creates what it stores with umask 0.
   */
  shareDataDir?: boolean;
  /** Addresses Redis listens on beside loopback, for workers in other network namespaces. */
  redisAlsoOn?: string[];
}

/** Boots the gateway from (a copy of) dist/ on a free port and a fresh Redis; no worker. */
export async function startGateway(options: PlatformOptions = {}): Promise<BenchGateway> {
  const built = await builtAppsSnapshot(REPO_ROOT);
  const redis = await startRedis(options.redisAlsoOn);
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? makeTempDir('fopflow-bench-data-');
  if (options.shareDataDir) chmodSync(dataDir, 0o777);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...ONE_TIER_ENV,
    FOPFLOW_TIERS_FILE: benchTiersFile(REPO_ROOT),
    ...options.env,
    REDIS_URL: redis.url,
    FOPFLOW_DATA_DIR: dataDir,
  };
  const gateway = startApp(built, 'gateway', { ...env, PORT: String(port), HOST: '127.0.0.1' }, options.shareDataDir);
  const others: BenchChild[] = [];
  let stopped: Promise<void> | undefined;
  const platform: BenchGateway = {
    url,
    redis,
    dataDir,
    gateway,
    async startApp(app, extra = {}) {
      const child = startApp(built, app, { ...env, ...extra });
      others.push(child);
      return child;
    },
    stop: () => (stopped ??= stopAll(others, gateway, redis, ownDataDir ? dataDir : undefined)),
  };
  try {
    await Promise.race([waitFor('gateway /ready', async () => (await fetch(`${url}/ready`)).ok, STARTUP_TIMEOUT_MS), endedEarly(gateway)]);
  } catch (error) {
    await platform.stop();
    throw new Error(`${(error as Error).message}\n${appOutputs([gateway])}`);
  }
  return platform;
}

/** Boots the gateway and one worker, and waits until the worker takes jobs. */
export async function startPlatform(options: PlatformOptions = {}): Promise<BenchPlatform> {
  const platform = await startGateway(options);
  const worker = await platform.startApp('worker');
  try {
    await Promise.race([waitFor('worker ready', async () => worker.output().includes('ready'), STARTUP_TIMEOUT_MS), endedEarly(worker)]);
  } catch (error) {
    await platform.stop();
    throw new Error(`${(error as Error).message}\n${appOutputs([platform.gateway, worker])}`);
  }
  return { ...platform, worker };
}

/**
 * Rejects if `app` ends before what it is raced with is over (start-up, by default): an app that
 * crashes is not waited for.
 */
export function endedEarly(app: BenchChild, during = 'while starting'): Promise<never> {
  const ended = app.exited.then((code) => {
    throw new Error(`${app.name} exited with ${code ?? 'a signal'} ${during}`);
  });
  // Once the race is over nobody listens; stopping the app later must not be an unhandled rejection.
  ended.catch(() => undefined);
  return ended;
}

function startApp(built: string, app: BuiltApp, env: Record<string, string>, shareFiles = false): BenchChild {
  // The inherited environment stays, so FOPFLOW_* variables set by whoever runs the bench apply
  // unless the benchmark sets them itself. The copy lies outside the repository, so NODE_PATH
  // points it at the repository's node_modules; cwd stays the root, where config/ is. A child
  // inherits the umask it is spawned with, so the bench's own is back at once.
  const umask = shareFiles ? process.umask(0) : undefined;
  try {
    return spawnTracked(app, process.execPath, [...profileArgs(app), join(built, 'apps', app, 'src', 'main.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', NODE_PATH: join(REPO_ROOT, 'node_modules'), ...env },
    });
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
}

/**
 * `FOPFLOW_BENCH_PROFILE=<dir>` has every app the bench starts write a V8 CPU profile into
 * <dir>/<app>/ when it stops: where the time of a missed target goes (bench/profile-summary.ts reads them).
 */
function profileArgs(app: BuiltApp): string[] {
  const dir = process.env.FOPFLOW_BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir, app)}`] : [];
}

/** Apps the gateway does not depend on go first (a scaler lets its workers finish), then the gateway and Redis. */
async function stopAll(others: BenchChild[], gateway: BenchChild, redis: BenchRedis, dataDir: string | undefined): Promise<void> {
  await Promise.all(others.map((app) => app.stop()));
  await gateway.stop();
  await redis.stop();
  if (dataDir !== undefined) removeTempDir(dataDir);
}

/** The end of what each app printed, under its name: where the cause of a failure usually shows. */
function appOutputs(apps: readonly BenchChild[]): string {
  return apps.map((app) => `--- ${app.name} ---\n${app.output().slice(-OUTPUT_TAIL_CHARS)}`).join('\n');
}

/**
 * Runs `work` on a platform `start` boots and stops it afterwards, whatever happens; a failure
 * carries what the gateway and the worker printed, which is where its cause usually shows.
 */
async function withStarted<P extends BenchGateway, T>(started: Promise<P>, apps: (platform: P) => BenchChild[], work: (platform: P) => Promise<T>): Promise<T> {
  const platform = await started;
  try {
    return await work(platform);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${appOutputs(apps(platform))}`);
  } finally {
    await platform.stop();
  }
}

/** Runs `work` on a freshly started gateway and worker; see withStarted. */
export function withPlatform<T>(options: PlatformOptions, work: (platform: BenchPlatform) => Promise<T>): Promise<T> {
  return withStarted(startPlatform(options), (platform) => [platform.gateway, platform.worker], work);
}

/** Runs `work` on a freshly started gateway without a worker; see withStarted. */
export function withGateway<T>(options: PlatformOptions, work: (platform: BenchGateway) => Promise<T>): Promise<T> {
  return withStarted(startGateway(options), (platform) => [platform.gateway], work);
}

/** Jobs at once the worker runs `command` with, as the worker itself logged it (`imageView2×2`). */
export function loggedConcurrency(worker: BenchChild, command: string): string {
  return new RegExp(`\\b${command}×(\\d+)`).exec(worker.output())?.[1] ?? 'unknown (not in the worker log)';
}
