import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { removeStaleEntries } from '@fopflow/storage';

/** How often a process marks its work directory as alive, in ms. */
export const WORK_DIR_HEARTBEAT_MS = 30_000;

/** A process directory unmarked this long belongs to no live process, in ms (ten missed heartbeats). */
export const WORK_DIR_STALE_MS = 10 * WORK_DIR_HEARTBEAT_MS;

/** Age past which a job directory of the older flat layout (no process directory) is a leftover, in ms. */
export const LEGACY_WORK_DIR_STALE_MS = 3600_000;

/** Prefix of the per-process directories under a work root. */
const PROCESS_DIR_PREFIX = 'proc-';

// Names are matched exactly, not by prefix alone: the work root may be a shared place such as
// /dev/shm or /tmp, where nothing but Fopflow's own directories may be swept.
const PROCESS_DIR_NAME = /^proc-[\w-]+-\d+-[0-9a-f]{8}$/;
const LEGACY_JOB_DIR_NAME = /^[\w.-]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A job's private directory for its source and intermediate files; gone when the job ends. */
export interface WorkDir {
  path: string;
  /** A fresh file name inside the directory. */
  file(name: string): string;
  remove(): Promise<void>;
}

/**
 * This process's directory under a work root. Every job directory lives in one of these, so that
 * a sweep can tell whose work it is: the heartbeat keeps the directory's mtime fresh while the
 * process lives, and several workers may share one root (one data dir) without touching each
 * other's work. Created on first use, marked every WORK_DIR_HEARTBEAT_MS.
 */
class ProcessWorkDir {
  readonly path: string;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(readonly root: string) {
    const host = hostname().replace(/[^\w-]/g, '_').slice(0, 32);
    this.path = join(root, `${PROCESS_DIR_PREFIX}${host}-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.heartbeat = setInterval(() => void this.markAlive().catch(() => undefined), WORK_DIR_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Touches the directory (recreating it if something removed it), then sweeps dead siblings. */
  async markAlive(): Promise<void> {
    const now = new Date();
    await fs.utimes(this.path, now, now).catch(() => fs.mkdir(this.path, { recursive: true }));
    await sweepWorkDirs(this.root).catch(() => undefined);
  }
}

const processDirs = new Map<string, ProcessWorkDir>();

function processDir(root: string): ProcessWorkDir {
  let dir = processDirs.get(root);
  if (!dir) {
    dir = new ProcessWorkDir(root);
    processDirs.set(root, dir);
  }
  return dir;
}

/**
 * A work directory under `root` (a RAM disk such as /dev/shm spares the disk), inside this
 * process's own. It is made on the first use of its path: a job whose steps all run in memory
 * never touches the disk for it.
 */
export async function createWorkDir(root: string, label: string): Promise<WorkDir> {
  const path = join(processDir(root).path, `${label.replace(/[^\w.-]/g, '_').slice(0, 40)}-${randomUUID()}`);
  let made = false;
  const existing = (): string => {
    // Synchronous, once per job that needs it: cheaper than an async round trip through the thread pool.
    if (!made) mkdirSync(path, { recursive: true });
    made = true;
    return path;
  };
  let counter = 0;
  return {
    get path() {
      return existing();
    },
    file: (name) => join(existing(), `${++counter}-${name}`),
    remove: async () => {
      if (made) await fs.rm(path, { recursive: true, force: true });
    },
  };
}

/**
 * A directory of this process's own under `root` for state that outlives one job (the source
 * cache): it goes with the process directory when a sweep finds the process dead.
 */
export function processScratchDir(root: string, name: string): string {
  return join(processDir(root).path, name);
}

/**
 * Removes what dead processes left under `root`: process directories unmarked for
 * WORK_DIR_STALE_MS, and job directories of the older flat layout untouched for
 * LEGACY_WORK_DIR_STALE_MS. This process's own directory is never taken. Answers what went.
 */
export async function sweepWorkDirs(root: string, nowMs = Date.now()): Promise<string[]> {
  const own = processDirs.get(root)?.path;
  const isOwn = (name: string) => own !== undefined && join(root, name) === own;
  const dead = await removeStaleEntries(root, WORK_DIR_STALE_MS, {
    nowMs,
    select: (name) => PROCESS_DIR_NAME.test(name) && !isOwn(name),
  });
  const legacy = await removeStaleEntries(root, LEGACY_WORK_DIR_STALE_MS, {
    nowMs,
    select: (name) => !name.startsWith(PROCESS_DIR_PREFIX) && LEGACY_JOB_DIR_NAME.test(name),
  });
  return [...dead, ...legacy];
}

/** Starts this process's heartbeat under `root` now (rather than at its first job) and sweeps dead siblings. */
export async function claimWorkRoot(root: string): Promise<string[]> {
  const dir = processDir(root);
  await fs.mkdir(dir.path, { recursive: true });
  return sweepWorkDirs(root);
}
