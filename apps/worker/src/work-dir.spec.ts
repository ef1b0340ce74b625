import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { claimWorkRoot, createWorkDir, sweepWorkDirs, WORK_DIR_STALE_MS } from './work-dir';

/** Gives `path` an mtime `ageMs` in the past, as a process that stopped marking it would leave it. */
function age(path: string, ageMs: number): string {
  const then = new Date(Date.now() - ageMs);
  utimesSync(path, then, then);
  return path;
}

describe('work dirs shared by several workers', () => {
  let root: string;

  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'fopflow-work-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("puts every job's directory inside this process's own, and removes it when the job ends", async () => {
    const work = await createWorkDir(root, 'job:1/x');
    const own = dirname(work.path);
    expect(dirname(own)).toBe(root);
    expect(basename(own)).toMatch(new RegExp(`^proc-.+-${process.pid}-[0-9a-f]{8}$`));
    writeFileSync(work.file('source'), 'x');
    await work.remove();
    expect(existsSync(work.path)).toBe(false);
  });

  it('makes a job directory only when a step asks for a path in it: in-memory jobs touch no disk', async () => {
    const idle = await createWorkDir(root, 'in-memory');
    await idle.remove();
    expect(readdirSync(root)).toEqual([]);
    const used = await createWorkDir(root, 'on-file');
    const file = used.file('input');
    expect(existsSync(dirname(file))).toBe(true);
    await used.remove();
    expect(existsSync(dirname(file))).toBe(false);
  });

  it("sweeps a dead worker's directory, keeps a live sibling's and never its own", async () => {
    const work = await createWorkDir(root, 'mine');
    writeFileSync(work.file('source'), 'x');
    // Even unmarked for long, this process's directory is its own.
    age(work.path, 2 * WORK_DIR_STALE_MS);
    age(dirname(work.path), 2 * WORK_DIR_STALE_MS);

    const dead = join(root, 'proc-otherhost-4242-0badc0de');
    mkdirSync(join(dead, 'job-1'), { recursive: true });
    age(join(dead, 'job-1'), 2 * WORK_DIR_STALE_MS);
    age(dead, 2 * WORK_DIR_STALE_MS);
    // A sibling that marked its directory a moment ago, with a job whose files are old.
    const sibling = join(root, 'proc-otherhost-4343-feedface');
    mkdirSync(join(sibling, 'job-2'), { recursive: true });
    age(join(sibling, 'job-2'), 2 * WORK_DIR_STALE_MS);

    expect(await sweepWorkDirs(root)).toEqual([dead]);
    expect(existsSync(join(sibling, 'job-2'))).toBe(true);
    expect(readdirSync(work.path)).toEqual(['1-source']);
  });

  it('sweeps old job directories of the flat layout, and nothing it did not make', async () => {
    const legacy = join(root, 'abc123-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9');
    mkdirSync(legacy);
    age(legacy, 2 * 3600_000);
    const recent = join(root, 'abc124-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9');
    mkdirSync(recent);
    // The work root may be a shared place (/dev/shm): strangers stay, however old.
    const stranger = join(root, 'someone-elses');
    mkdirSync(stranger);
    age(stranger, 48 * 3600_000);

    const removed = await claimWorkRoot(root);
    expect(removed).toEqual([legacy]);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(stranger)).toBe(true);
    // Claiming made this process's directory at once, before any job.
    expect(readdirSync(root).some((name) => name.includes(`-${process.pid}-`))).toBe(true);
  });
});
