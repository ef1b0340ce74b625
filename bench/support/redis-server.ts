import IORedis from 'ioredis';
import { makeTempDir, removeTempDir, spawnTracked } from './cleanup';
import { freePort, waitFor } from './ports';

/** A private redis-server for one benchmark run. */
export interface BenchRedis {
  url: string;
  /** The redis-server process id, for its CPU time. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port as production wants it for BullMQ: noeviction, no
 * persistence. It listens on loopback, and on `alsoOn` too (an address workers on other network
 * namespaces reach, such as the local cluster's bridge); the url stays the loopback one.
 */
export async function startRedis(alsoOn: string[] = []): Promise<BenchRedis> {
  const port = await freePort();
  const dir = makeTempDir('fopflow-bench-redis-');
  const server = spawnTracked('redis-server', 'redis-server', [
    ...['--port', String(port), '--bind', '127.0.0.1', ...alsoOn, '--dir', dir],
    // Protected mode refuses every address but loopback without a password; `alsoOn` is chosen to be reached.
    ...(alsoOn.length > 0 ? ['--protected-mode', 'no'] : []),
    ...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
  ]);
  const stop = async () => {
    await server.stop();
    removeTempDir(dir);
  };
  try {
    await waitFor(`redis-server on port ${port}`, () => ping(port));
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${server.output()}`);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: server.pid, stop };
}

/** True when a redis-server answers PING on `port`. */
export async function ping(port: number): Promise<boolean> {
  const client = new IORedis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}
