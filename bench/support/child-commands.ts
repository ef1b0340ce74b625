import { readdirSync, readFileSync } from 'node:fs';
import { trackedPids } from './cleanup';

/** How often the watcher looks for new children, in ms: short next to an ffmpeg run. */
const POLL_INTERVAL_MS = 20;

/** Watches for children of the bench's processes. */
export interface ChildCommandWatch {
  /** Stops watching; answers the argument list (without argv[0]) of every child seen, once each. */
  stop(): string[][];
}

/**
 * Records the argument lists of processes named `command` whose parent the bench started (a
 * worker's ffmpeg, say), read from /proc while they run: what was really executed, not what a
 * log says. Answers nothing where /proc is missing.
 */
export function watchChildCommands(command: string): ChildCommandWatch {
  const seen = new Map<number, string[]>();
  const look = () => {
    const parents = new Set(trackedPids());
    for (const entry of safeReaddir('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || seen.has(pid)) continue;
      const stat = readText(`/proc/${pid}/stat`);
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Field 4 of proc(5), the parent's pid, is the second after the name.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name !== command || !parents.has(parent)) continue;
      const argv = readText(`/proc/${pid}/cmdline`).split('\0');
      if (argv.length > 1) seen.set(pid, argv.slice(1, argv[argv.length - 1] === '' ? -1 : undefined));
    }
  };
  const timer = setInterval(look, POLL_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
