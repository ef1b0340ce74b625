import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaosPlatform } from './chaos.platform';
import type { WebhookLedger } from './chaos.load';

/** What a fault may touch while the load runs. */
export interface FaultContext {
  platform: ChaosPlatform;
  receiver: WebhookLedger;
  log: (line: string) => void;
}

/** One fault: injected once, a few seconds into the steady load. */
export interface Fault {
  name: string;
  /** What is done, for the table. */
  what: string;
  /** Extra environment of every app in this fault's platform. */
  env?: Record<string, string>;
  inject(context: FaultContext): Promise<void>;
  /** Undoes what the platform set up for the fault (a mount). */
  cleanup?(): void;
}

/** How long Redis stays away when restarted, in ms. */
const REDIS_DOWN_MS = 2_000;

/**
 * The webhook schedule, compressed 120 times: production's 0 s, 5 s, 5 min, 30 min, 2 h...
 * become 0, 0.04, 2.5, 15, 60... seconds, so an hour of receiver downtime lasts 30 s.
 */
export const COMPRESSED_WEBHOOK_RETRY_S = '0,0.04,2.5,15,60,150,240,240';

/** One simulated hour of receiver downtime under the compressed schedule, in ms. */
const SIMULATED_HOUR_MS = 30_000;

/** How long the work disk stays full, in ms. */
const DISK_FULL_MS = 10_000;

/** Size of the work disk of the disk-full fault, in MiB. */
const WORK_DISK_MIB = 16;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const killWorker: Fault = {
  name: 'worker kill -9',
  what: 'kill -9 the only worker mid-job, start a new one (job lock 5 s)',
  async inject({ platform, log }) {
    const [victim] = platform.workers;
    await victim.stop('SIGKILL');
    platform.workers.splice(0, 1);
    log('worker killed; starting another');
    await platform.startWorker();
  },
};

export const killGateway: Fault = {
  name: 'gateway kill -9',
  what: 'kill -9 the gateway mid-submission, start another; clients retry with the same Idempotency-Key',
  async inject({ platform, log }) {
    await platform.crashGateway();
    log('gateway killed and restarted');
  },
};

export const restartRedis: Fault = {
  name: 'Redis kill -9 + restart',
  what: `kill -9 redis-server (AOF, fsync always), back after ${REDIS_DOWN_MS / 1000} s`,
  async inject({ platform, log }) {
    await platform.redis.kill();
    await pause(REDIS_DOWN_MS);
    await platform.redis.restart();
    log('redis restarted');
  },
};

export const receiverDown: Fault = {
  name: 'webhook receiver down 1 h',
  what: `receiver refuses connections for a simulated hour (${SIMULATED_HOUR_MS / 1000} s, schedule /120)`,
  async inject({ receiver, log }) {
    await receiver.down();
    await pause(SIMULATED_HOUR_MS);
    await receiver.up();
    log('receiver back');
  },
};

/**
 * The work disk full: a small tmpfs mounted as the workers' FOPFLOW_WORK_DIR, filled to the last
 * byte for DISK_FULL_MS, then emptied. Mounting needs root (or CAP_SYS_ADMIN); without it the
 * fault says so instead of pretending.
 */
export function diskFull(root: string): Fault {
  const mount = join(root, 'work');
  mkdirSync(mount, { recursive: true });
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${WORK_DISK_MIB}m`, 'tmpfs', mount], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    throw new Error(`disk full: cannot mount a ${WORK_DISK_MIB} MiB tmpfs at ${mount}: ${(error as Error).message.split('\n')[0]}`);
  }
  const filler = join(mount, 'filler');
  return {
    name: 'work disk full',
    what: `the workers' work dir is a ${WORK_DISK_MIB} MiB tmpfs, filled for ${DISK_FULL_MS / 1000} s`,
    env: { FOPFLOW_WORK_DIR: mount },
    async inject({ log }) {
      try {
        writeFileSync(filler, Buffer.alloc(WORK_DISK_MIB * 1024 * 1024));
      } catch {
        // ENOSPC once the disk is full: exactly what was wanted.
      }
      log('work disk full');
      await pause(DISK_FULL_MS);
      rmSync(filler, { force: true });
      log('work disk freed');
    },
    cleanup() {
      if (mounted) execFileSync('umount', [mount], { stdio: 'pipe' });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
