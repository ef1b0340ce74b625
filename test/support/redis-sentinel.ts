import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './ports';

const run = promisify(execFile);

/** Name the sentinel monitors its master under. */
export const SENTINEL_MASTER_NAME = 'fopflow';

/** A master, its replica and one sentinel (quorum 1) for one test file. */
export interface TestRedisSentinel {
  /** `redis+sentinel://127.0.0.1:<sentinel>/fopflow`, as REDIS_URL takes it. */
  url: string;
  masterPort: number;
  replicaPort: number;
  /** Kills the master as a crash would; resolves once the sentinel has promoted the replica. */
  failOver(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a master, a replica of it and a sentinel that fails over after 1 s of silence. */
export async function startRedisSentinel(): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-redis-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const server = (port: number, args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', () => undefined);
    children.set(port, child);
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all([...children.values()].map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const common = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
  try {
    server(masterPort, ['--port', String(masterPort), ...common]);
    await waitFor('the master', async () => (await cli(masterPort, 'PING')) === 'PONG');
    server(replicaPort, ['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(masterPort), ...common]);
    await waitFor('the replica in sync', async () => (await cli(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'));
    // A sentinel rewrites its config file, so it gets one of its own.
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        '',
      ].join('\n'),
    );
    server(sentinelPort, [config, '--sentinel']);
    await waitFor('the sentinel to see the replica', async () =>
      (await cli(sentinelPort, 'SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)).includes(String(replicaPort)),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/${SENTINEL_MASTER_NAME}`,
    masterPort,
    replicaPort,
    async failOver() {
      await kill(children.get(masterPort)!);
      await waitFor(
        'the sentinel to promote the replica',
        async () => (await cli(sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)).includes(String(replicaPort)),
        30_000,
      );
    },
    stop,
  };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout.trim();
}
