import { readFileSync } from 'node:fs';
import { trackedPids } from './cleanup';

/** CPU time counters at one instant, in clock ticks. */
export interface CpuSnapshot {
  /** All ticks of all cores, idle included. */
  machineTotal: number;
  /** Ticks some core spent running processes (user, system) or stolen by the hypervisor. */
  machineBusy: number;
  /** Busy ticks of the bench process and every process it started. */
  bench: number;
  cores: number;
}

/** Reads /proc/stat and the bench's processes' /proc/<pid>/stat; zeros where /proc is missing. */
export function cpuSnapshot(): CpuSnapshot {
  const lines = readText('/proc/stat').split('\n');
  const fields = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const cores = lines.filter((line) => /^cpu\d/.test(line)).length || 1;
  // Steal is time another VM took from these cores: it slows the bench as any other process would.
  // Interrupt time is no process's, and at thousands of req/s most of it is the bench's own loopback
  // traffic, so it is left out of busy (but kept in the total).
  const machineBusy = user + nice + system + steal;
  const pids = [process.pid, ...trackedPids()];
  return { machineTotal: machineBusy + idle + iowait + irq + softirq, machineBusy, bench: pids.reduce((sum, pid) => sum + processTicks(pid), 0), cores };
}

/**
 * Cores kept busy by processes the bench did not start between two snapshots (0.5 = half a core).
 * The machine may be shared; a figure measured while something else ran is not comparable.
 */
export function otherCpuCores(before: CpuSnapshot, after: CpuSnapshot): number {
  const ticksPerCore = (after.machineTotal - before.machineTotal) / after.cores;
  if (ticksPerCore <= 0) return Number.NaN;
  const others = after.machineBusy - before.machineBusy - (after.bench - before.bench);
  return Math.max(0, others / ticksPerCore);
}

/**
 * utime + stime of `pid`, plus cutime + cstime: the time of its children that have ended, so an
 * ffmpeg run by the bench or by the worker counts as theirs, not as another process's. 0 once gone.
 */
function processTicks(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 to 17 of proc(5); the slice starts at field 3.
  return fields.slice(11, 15).reduce((sum, field) => sum + (Number(field) || 0), 0);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
