import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort, waitFor } from './ports';

/** Memory bound of a test's Redis, as production sets one; TEST_REDIS_MAXMEMORY overrides it (redis-server units). */
const TEST_REDIS_MAXMEMORY = process.env.TEST_REDIS_MAXMEMORY ?? '1gb';

/** A private redis-server for one test file, configured as production wants it. */
export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server as a crash would; `restart` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts redis-server on a free port with a memory bound, noeviction and no persistence. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-redis-'));
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory', TEST_REDIS_MAXMEMORY, '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    child.on('error', () => undefined);
    await waitFor(`redis-server on ${port}`, () => ping(port));
  };
  const kill = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when a Redis on `port` answers PING; a raw socket leaves no client timers behind. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
