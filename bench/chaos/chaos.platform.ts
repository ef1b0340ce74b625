import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BenchChild, makeTempDir, removeTempDir, spawnTracked } from '../support/cleanup';
import { freePort, waitFor } from '../support/ports';
import { ping } from '../support/redis-server';

/** How long an app may take to come up, in ms. */
const STARTUP_TIMEOUT_MS = 30_000;

/** The repository root, found from here whether this runs from bench/ (ts-jest) or dist/bench/. */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'tsconfig.build.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** A redis-server that keeps its data on disk before it answers: AOF, fsync on every write. */
export interface ChaosRedis {
  url: string;
  port: number;
  /** kill -9, as a crash; restart() brings it back on the same port and data. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startAofRedis(): Promise<ChaosRedis> {
  const port = await freePort();
  const dir = makeTempDir('fopflow-chaos-redis-');
  let server: BenchChild | undefined;
  const launch = async () => {
    // fsync always: Redis answers a write only once it is on disk, so a job the gateway accepted
    // (202) survives kill -9. With everysec the last second of accepted jobs can go (seen: 1 in 111).
    server = spawnTracked('redis-server', 'redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory', '1gb', '--maxmemory-policy', 'noeviction'],
    ]);
    await waitFor(`redis-server on ${port}`, () => ping(port), STARTUP_TIMEOUT_MS);
  };
  await launch();
  const kill = async () => server?.stop('SIGKILL');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    async stop() {
      await kill();
      removeTempDir(dir);
    },
  };
}

/** Gateway, workers and (optionally) the scaler that runs the reconciler, each killable. */
export interface ChaosPlatform {
  url: string;
  redis: ChaosRedis;
  dataDir: string;
  gateway: BenchChild;
  workers: BenchChild[];
  scaler?: BenchChild;
  startWorker(): Promise<BenchChild>;
  /** kill -9 the gateway and start another on the same port. */
  crashGateway(): Promise<void>;
  stop(): Promise<void>;
}

export interface ChaosPlatformOptions {
  env: Record<string, string>;
  /** Runs the scaler, and with it the job records reconciler (with no pool to scale). */
  reconciler: boolean;
  workers: number;
}

/** Boots the built apps on a private AOF Redis and a fresh data dir. */
export async function startChaosPlatform(options: ChaosPlatformOptions): Promise<ChaosPlatform> {
  const redis = await startAofRedis();
  const dataDir = makeTempDir('fopflow-chaos-data-');
  // The scaler runs here for its reconciler only: its one pool holds a command the load never uses,
  // so it starts no instance. The gateway reads the usual pools: they say which commands run.
  const poolsFile = join(dataDir, 'chaos-pools.json');
  writeFileSync(poolsFile, JSON.stringify({ pools: { idle: { commands: ['avconcat'], minInstances: 0, maxInstances: 1 } } }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...options.env, REDIS_URL: redis.url, FOPFLOW_DATA_DIR: dataDir };
  const start = (app: 'gateway' | 'worker' | 'scaler', extra: Record<string, string> = {}) =>
    spawnTracked(app, process.execPath, [join(REPO_ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env, ...extra },
    });
  const startGateway = async () => {
    const gateway = start('gateway', { PORT: String(port), HOST: '127.0.0.1' });
    await waitFor('gateway /ready', async () => (await fetch(`${url}/ready`).catch(() => undefined))?.ok === true, STARTUP_TIMEOUT_MS);
    return gateway;
  };
  const platform: ChaosPlatform = {
    url,
    redis,
    dataDir,
    gateway: await startGateway(),
    workers: [],
    async startWorker() {
      const worker = start('worker');
      platform.workers.push(worker);
      await waitFor('worker ready', async () => worker.output().includes('ready'), STARTUP_TIMEOUT_MS);
      return worker;
    },
    async crashGateway() {
      await platform.gateway.stop('SIGKILL');
      platform.gateway = await startGateway();
    },
    async stop() {
      await Promise.all([platform.scaler, ...platform.workers].map((app) => app?.stop()));
      await platform.gateway.stop();
      await redis.stop();
      removeTempDir(dataDir);
    },
  };
  for (let i = 0; i < options.workers; i++) await platform.startWorker();
  if (options.reconciler) platform.scaler = start('scaler', { FOPFLOW_POOLS_FILE: poolsFile });
  return platform;
}
