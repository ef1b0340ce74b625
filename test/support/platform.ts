import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort, waitFor } from './ports';
import { startRedis, TestRedis } from './redis-server';

const ROOT = join(__dirname, '..', '..');

/** Admin token of platforms whose test sets none: there is no unguarded mode to fall back on. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A running process of the platform, with what it printed kept for assertions and failures. */
export interface AppProcess {
  child: ChildProcess;
  output: () => string;
  /** Sends `signal` and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Gateway, worker(s) and a private Redis, as the built apps run in production. */
export interface Platform {
  url: string;
  /** The operator's token (FOPFLOW_ADMIN_TOKEN): every management call needs it or a signature. */
  adminToken: string;
  /** `fetch` of a path on the gateway as the operator (Authorization: Bearer <adminToken>). */
  asOperator(path: string, init?: RequestInit): Promise<Response>;
  redis: TestRedis;
  dataDir: string;
  gateway: AppProcess;
  workers: AppProcess[];
  startWorker(env?: Record<string, string>): Promise<AppProcess>;
  stop(): Promise<void>;
}

/** Starts the built app `app` (gateway or worker) with `env` on top of the test's environment. */
export function startApp(app: 'gateway' | 'worker' | 'scaler', env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, [join(ROOT, `dist/apps/${app}/src/main.js`)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** How long a suite's teardown waits for an app to shut down gracefully before it kills it, in ms. */
const TEARDOWN_KILL_AFTER_MS = 20_000;

/**
 * Stops `app` for a suite's teardown: SIGTERM, and SIGKILL if it has not exited within
 * TEARDOWN_KILL_AFTER_MS (its shutdown grace is 30 s by default, the hook's whole budget), said on
 * stderr so a slow shutdown stays visible. Suites that test shutdown call `app.stop()` themselves.
 */
export async function stopForTeardown(app: AppProcess, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), TEARDOWN_KILL_AFTER_MS)));
  const outcome = await Promise.race([app.stop(), late]);
  clearTimeout(timer);
  if (outcome !== 'late') return;
  process.stderr.write(`[test teardown] ${name} did not exit within ${TEARDOWN_KILL_AFTER_MS} ms of SIGTERM; killing it. Its last output:\n${app.output().slice(-2000)}\n`);
  await app.stop('SIGKILL');
}

/** Keeps what the apps printed under test-logs/, for reading after a failed run. */
function keepLogs(apps: AppProcess[]): void {
  const dir = join(ROOT, 'test-logs');
  mkdirSync(dir, { recursive: true });
  const suite = basename(expect.getState().testPath ?? 'suite').replace(/\.e2e-spec\.ts$/, '');
  apps.forEach((app, index) => writeFileSync(join(dir, `${suite}.${index === 0 ? 'gateway' : `worker-${index}`}.log`), app.output()));
}

export interface PlatformOptions {
  /**
   * A Redis the caller started and stops (e.g. a test Redis Cluster's `redis+cluster://` URL);
   * without it the platform starts a private redis-server of its own.
   */
  redisUrl?: string;
}

/** The caller's Redis, in the shape of a TestRedis: the platform neither stops nor kills it. */
function externalRedis(url: string): TestRedis {
  const notOurs = async () => {
    throw new Error(`the platform runs on an external Redis (${url}); its owner kills and restarts it`);
  };
  return { url, port: Number.NaN, stop: async () => undefined, kill: notOurs, restart: notOurs };
}

/**
 * Boots a whole platform on free ports and a fresh data dir; `stop` removes every trace.
 * `workers` gives each worker's own env (default: one worker running every command).
 */
export async function startPlatform(
  env: Record<string, string> = {},
  workerEnvs: Record<string, string>[] = [{}],
  options: PlatformOptions = {},
): Promise<Platform> {
  const redis = options.redisUrl ? externalRedis(options.redisUrl) : await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'fopflow-data-'));
  const port = await freePort();
  const adminToken = env.FOPFLOW_ADMIN_TOKEN ?? TEST_ADMIN_TOKEN;
  const shared = { REDIS_URL: redis.url, FOPFLOW_DATA_DIR: dataDir, ...env, FOPFLOW_ADMIN_TOKEN: adminToken };
  const gateway = startApp('gateway', { ...shared, PORT: String(port), HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const workers: AppProcess[] = [];

  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = startApp('worker', { ...shared, ...extra });
    workers.push(worker);
    await waitFor('worker ready', async () => worker.output().includes('ready'));
    return worker;
  };

  try {
    await waitFor('gateway /ready', async () => (await fetch(`${url}/ready`)).ok);
    for (const workerEnv of workerEnvs) await startWorker(workerEnv);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- gateway ---\n${gateway.output()}\n--- worker ---\n${workers[0]?.output() ?? ''}`);
  }

  return {
    url,
    adminToken,
    asOperator: (path, init = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string> | undefined) } }),
    redis,
    dataDir,
    gateway,
    workers,
    startWorker,
    async stop() {
      await Promise.all([stopForTeardown(gateway, 'gateway'), ...workers.map((worker, index) => stopForTeardown(worker, `worker ${index + 1}`))]);
      keepLogs([gateway, ...workers]);
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * startPlatform for suites whose workers may be containers running as an ordinary user: with
 * `shareDataDir` what the host gateway creates (the data dir and all in it) is theirs to use too.
 */
export async function startSharedPlatform(env: Record<string, string>, shareDataDir = false): Promise<Platform> {
  const umask = shareDataDir ? process.umask(0) : undefined;
  let platform: Platform;
  try {
    platform = await startPlatform(env, []);
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
  if (shareDataDir) chmodSync(platform.dataDir, 0o777);
  return platform;
}
