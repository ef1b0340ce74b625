import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A process the bench started, with what it printed kept for error messages and log probes. */
export interface BenchChild {
  readonly name: string;
  /** Its process id; undefined when it could not be started. */
  readonly pid: number | undefined;
  output(): string;
  /** Resolves once the process has ended: its exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` and resolves once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Characters of a failed command's output kept for its error message. */
const ERROR_OUTPUT_KEPT_CHARS = 2000;

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Starts `command` and tracks it, so that a bench interrupted by an error, Ctrl-C or SIGTERM
 * never leaves a gateway, worker or redis-server (or their temp dirs) behind.
 */
export function spawnTracked(name: string, command: string, args: string[], options: SpawnOptions = {}): BenchChild {
  installExitHook();
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // A missing binary is reported by spawn as an 'error' event; without a listener it would crash.
  child.on('error', (error) => (output += `\n[spawn error] ${error.message}`));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  return {
    name,
    pid: child.pid,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Runs `command` to its end as a tracked process and answers what it printed; a non-zero exit
 * fails with the end of that output, where tools like ffmpeg say what went wrong.
 */
export async function runTracked(name: string, command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  const child = spawnTracked(name, command, args, options);
  const code = await child.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code ?? 'a signal'}: ${child.output().slice(-ERROR_OUTPUT_KEPT_CHARS)}`);
  return child.output();
}

/** A fresh directory under the system temp dir, removed by `removeTempDir` or, at the latest, on exit. */
export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Removes a directory made by makeTempDir. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Runs `cleanup` on exit, after the tracked processes are killed, unless the function returned
 * is called first: for what outlives the bench's own processes (containers, swarm services).
 * `cleanup` must be synchronous, as 'exit' handlers are.
 */
export function cleanUpOnExit(cleanup: () => void): () => void {
  installExitHook();
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/** Process ids of the tracked processes still running. */
export function trackedPids(): number[] {
  return [...running].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously, so the last resort is an unconditional SIGKILL.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const cleanup of exitCleanups) {
      try {
        cleanup();
      } catch {
        // The last resort: what cannot be removed now is left, as it would be without this hook.
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping the processes it started`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
