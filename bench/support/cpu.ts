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

/** Processes the bench caused but did not spawn, counted as its own (see adoptProcess). */
const adopted = new Set<number>();

/**
 * Counts `pid` as the bench's from now on: a worker a scaler started, or a container's main
 * process, whose CPU would otherwise show as another process's. Unlike the bench's own children,
 * an adopted process's time is lost when it ends, so a window measured over it must close first.
 */
export function adoptProcess(pid: number): void {
  adopted.add(pid);
}

/** Stops counting every adopted process. */
export function releaseAdoptedProcesses(): void {
  adopted.clear();
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
  const pids = [process.pid, ...new Set([...trackedPids(), ...adopted])];
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

/** Clock ticks per second of /proc's time counters (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/**
 * Starts timing the CPU of each named process; the function returned answers, per name, the ms
 * of CPU it used since (its ended children included). A process gone by then counts 0.
 */
export function processCpuWindow(pids: Readonly<Record<string, number | undefined>>): () => Record<string, number> {
  const ms = (pid: number | undefined) => (pid === undefined ? 0 : (processTicks(pid) * 1000) / TICKS_PER_SECOND);
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ms(pid)]));
  return () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.max(0, ms(pid) - before[name])]));
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
