import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import sharp from 'sharp';

const GiB = 1024 ** 3;

/** libuv's own default when UV_THREADPOOL_SIZE is unset; sharp runs its work on this pool. */
const LIBUV_DEFAULT_THREADPOOL_SIZE = 4;

/** Facts about the machine and software a run's figures depend on, gathered when it runs. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  sharp: string;
  libvips: string;
  /** Threads libvips uses for one image (sharp.concurrency()). */
  vipsThreadsPerImage: number;
  /** Images sharp works on at once in one process (libuv threadpool size). */
  libuvThreadpool: number;
  redis: string;
  /** `ffmpeg -version`'s version string, as Fopflow's av commands run it. */
  ffmpeg: string;
}

/** Reads the machine's facts from /proc, /etc/os-release, node:os and the libraries themselves. */
export function machineFacts(): MachineFacts {
  return {
    cpuModel: firstMatch(readText('/proc/cpuinfo'), /^model name\s*:\s*(.+)$/m) ?? 'unknown',
    cores: availableParallelism(),
    ramGiB: Math.round((totalmem() / GiB) * 10) / 10,
    os: `${firstMatch(readText('/etc/os-release'), /^PRETTY_NAME="?([^"\n]+)"?$/m) ?? 'unknown'}, kernel ${release()}`,
    node: process.version,
    sharp: sharp.versions.sharp ?? 'unknown',
    libvips: sharp.versions.vips,
    vipsThreadsPerImage: sharp.concurrency(),
    libuvThreadpool: Number(process.env.UV_THREADPOOL_SIZE) || LIBUV_DEFAULT_THREADPOOL_SIZE,
    redis: redisVersion(),
    ffmpeg: ffmpegVersion(),
  };
}

/** The "Machine" section of BENCHMARKS.md. */
export function machineSection(facts: MachineFacts, date: Date, command: string): string {
  return [
    '## Machine',
    '',
    `Last run: ${date.toISOString().replace(/\.\d+Z$/, 'Z')}, with \`${command}\`.`,
    '',
    `- CPU: ${facts.cpuModel}, ${facts.cores} cores`,
    `- RAM: ${facts.ramGiB} GiB`,
    `- OS: ${facts.os}`,
    `- Node: ${facts.node}`,
    `- sharp ${facts.sharp}, libvips ${facts.libvips}` +
      ` (libvips threads per image: ${facts.vipsThreadsPerImage}; libuv threadpool: ${facts.libuvThreadpool})`,
    `- Redis: ${facts.redis}`,
    `- ffmpeg: ${facts.ffmpeg}`,
  ].join('\n');
}

/**
 * The machine in one line, for a section that must say where it was measured on its own: the
 * Machine section is rewritten by every run, and a later run may be on another machine.
 */
export function machineSummary(facts: MachineFacts): string {
  return [
    `${facts.cpuModel}, ${facts.cores} cores, ${facts.ramGiB} GiB`,
    `${facts.os}; Node ${facts.node}`,
    `sharp ${facts.sharp} (libvips ${facts.libvips})`,
    `ffmpeg ${facts.ffmpeg}`,
    `Redis ${facts.redis}`,
  ].join('; ');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function firstMatch(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[1]?.trim();
}

function ffmpegVersion(): string {
  try {
    const banner = execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
    return firstMatch(banner, /^ffmpeg version (\S+)/) ?? banner.split('\n')[0];
  } catch {
    return 'ffmpeg not found';
  }
}

function redisVersion(): string {
  try {
    const banner = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return firstMatch(banner, /v=(\S+)/) ?? banner.trim();
  } catch {
    return 'redis-server not found';
  }
}
