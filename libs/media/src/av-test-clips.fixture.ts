import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Test support for the audio/video specs: clips made on the spot with ffmpeg's lavfi sources
// (no binary fixtures in the repo), and an independent ffprobe to check what the code wrote.

const run = promisify(execFile);

/** A fresh temporary directory for one spec file; remove it with `fs.rm(dir, { recursive: true })`. */
export function makeTempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), `fopflow-${prefix}-`));
}

/** Options of a generated clip. */
export interface ClipOptions {
  width?: number;
  height?: number;
  /** Seconds. */
  durationS?: number;
  frameRate?: number;
  /** Sine frequency in Hz; 0 for no audio. */
  toneHz?: number;
  /** False for an audio-only clip. */
  video?: boolean;
  /** Extra output options, before the file name (e.g. a rotate tag). */
  extra?: string[];
}

/** Writes a short H.264/AAC MP4 (or another container, by the name's extension) of testsrc2 and a sine. */
export async function makeClip(path: string, options: ClipOptions = {}): Promise<string> {
  const { width = 1280, height = 720, durationS = 2, frameRate = 25, toneHz = 440, video = true, extra = [] } = options;
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${frameRate}`);
  if (toneHz) args.push('-f', 'lavfi', '-i', `sine=frequency=${toneHz}:sample_rate=44100`);
  args.push('-t', String(durationS));
  if (video) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (toneHz) args.push('-ac', '2');
  args.push(...extra, path);
  await run('ffmpeg', args);
  return path;
}

/**
 * Copies `source` with a display-matrix rotation, the way phones tag portrait video; ffmpeg 5.1
 * writes the tag only on a stream copy.
 */
export async function withRotationTag(source: string, path: string, degrees: number): Promise<string> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, path]);
  return path;
}

/** A small PNG of one colour, for image watermarks. */
export async function makeImage(path: string, width: number, height: number, colour = 'red'): Promise<string> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:size=${width}x${height}`, '-frames:v', '1', path]);
  return path;
}

/** What ffprobe's JSON says about a file, read without any of the code under test. */
export interface ProbedFile {
  streams: Array<Record<string, any>>;
  format: Record<string, any>;
}

/** Runs ffprobe directly (its own JSON writer) on `path`. */
export async function ffprobeJson(path: string): Promise<ProbedFile> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path]);
  return JSON.parse(stdout) as ProbedFile;
}

/** The first stream of a kind in a probed file. */
export function streamOf(probe: ProbedFile, type: 'video' | 'audio'): Record<string, any> | undefined {
  return probe.streams.find((stream) => stream.codec_type === type);
}

/** Names of the files in `dir`, sorted. */
export async function filesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

/** PIDs of live ffmpeg/ffprobe processes whose parent is this process (Linux /proc). */
export async function childMediaProcesses(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields: pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
    const match = /^\d+ \((.*)\) (\S) (\d+)/s.exec(stat);
    if (match && /^ff(mpeg|probe)$/.test(match[1]) && match[2] !== 'Z' && Number(match[3]) === process.pid) found.push(Number(entry));
  }
  return found;
}
