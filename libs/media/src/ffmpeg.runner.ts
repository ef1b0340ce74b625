import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { AvTimeLimitError, CancelledError, throwIfCancelled } from './av.errors';
import { stderrTail } from './ffmpeg-output.sanitizer';
import { safeInputOptions } from './ffprobe.reader';
import { MediaError } from './media.errors';

/**
 * How long ffmpeg gets after SIGTERM to exit on its own before SIGKILL, in ms. Short: its output is
 * discarded anyway, and on SIGTERM an encoder with lookahead (VP9) would first flush for seconds.
 */
export const ffmpegKillGraceMs = 500;
/** Lines of ffmpeg's stderr kept in memory while it runs (for the error message). */
const stderrLinesKept = 200;

/** One input file of an ffmpeg run. */
export interface FfmpegInput {
  path: string;
  /** Options placed before its `-i` (seek, loop...). */
  options?: readonly string[];
  /** What messages call it instead of its path (`source`, `source 2`, `wmImage`). */
  label: string;
}

/** A complete ffmpeg invocation, built by one of the `*.op.ts` files. */
export interface FfmpegRun {
  inputs: readonly FfmpegInput[];
  /** Everything between the last input and the output file, as separate arguments. */
  outputOptions: readonly string[];
  outputPath: string;
  /**
   * True when outputPath is a numbered series (`img-%06d.jpg`, numbered from 0): the run then
   * checks that the first file exists; removing the series on failure is the caller's.
   */
  series?: boolean;
  /** ffmpeg's working directory: the job's work dir, so filters can name scratch files relatively. */
  cwd: string;
  /** Seconds of media ffmpeg will write, for progress; undefined reports only the end. */
  expectedDurationS?: number;
  /** Files made for this run only (drawtext's text): removed whatever happens. */
  scratchFiles?: readonly string[];
}

/** Cancellation, time limit and progress of one run. */
export interface FfmpegRunControl {
  timeLimitMs: number;
  signal?: AbortSignal;
  onProgress?(percent: number): void;
}

let encoderNames: Promise<ReadonlySet<string>> | undefined;

/** Encoder names of the local ffmpeg, asked once per process (the binary does not change under a worker). */
export function availableEncoders(): Promise<ReadonlySet<string>> {
  encoderNames ??= new Promise<ReadonlySet<string>>((resolve, reject) =>
    ffmpeg.getAvailableEncoders((error, encoders) => (error ? reject(error) : resolve(new Set(Object.keys(encoders))))),
  ).catch((error: Error) => {
    encoderNames = undefined;
    throw new Error(`ffmpeg could not list its encoders: ${error.message}`);
  });
  return encoderNames;
}

// ffmpeg's stats line: `... time=00:01:02.50 bitrate=...`.
const progressTime = /time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;

/**
 * Runs ffmpeg as a child process through fluent-ffmpeg (spawn, argument array, never a shell).
 * On failure, cancel or time-out the process is gone before this settles, and the output and
 * scratch files are removed: a failed step leaves nothing behind in the work dir.
 */
export async function runFfmpeg(run: FfmpegRun, control: FfmpegRunControl): Promise<void> {
  const paths = new Map<string, string>([...run.inputs.map((input) => [input.path, input.label] as [string, string])]);
  paths.set(run.outputPath, 'output');
  paths.set(`${run.cwd}/`, '');
  try {
    throwIfCancelled(control.signal);
    await execute(run, control, paths);
    const first = run.series ? run.outputPath.replace('%06d', '000000') : run.outputPath;
    const written = await fs.stat(first).catch(() => undefined);
    if (!written || written.size === 0) throw new MediaError(422, 'ffmpeg wrote no output (nothing to take from the source at these settings)');
    control.onProgress?.(100);
  } catch (error) {
    if (!run.series) await fs.rm(run.outputPath, { force: true });
    throw error;
  } finally {
    await Promise.all((run.scratchFiles ?? []).map((file) => fs.rm(file, { force: true })));
  }
}

function execute(run: FfmpegRun, control: FfmpegRunControl, paths: ReadonlyMap<string, string>): Promise<void> {
  const command = ffmpeg({ cwd: run.cwd, stdoutLines: stderrLinesKept });
  run.inputs.forEach((input, i) => {
    command.input(input.path);
    // -nostdin: ffmpeg must never wait for keyboard input from the worker's stdin.
    addVerbatim(command, 'input', [...(i === 0 ? ['-nostdin', '-hide_banner'] : []), ...safeInputOptions, ...(input.options ?? [])]);
  });
  command.output(run.outputPath);
  addVerbatim(command, 'output', run.outputOptions);

  return new Promise<void>((resolve, reject) => {
    let stopReason: 'cancel' | 'timeout' | undefined;
    let child: ChildProcess | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let lastPercent = -1;

    const terminate = () => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM lets ffmpeg close its files; SIGKILL follows if it does not exit in time.
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child?.kill('SIGKILL'), ffmpegKillGraceMs);
    };
    const stop = (reason: 'cancel' | 'timeout') => {
      stopReason ??= reason;
      terminate();
    };
    const onAbort = () => stop('cancel');
    const timeLimit = setTimeout(() => stop('timeout'), control.timeLimitMs);
    control.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (error?: Error) => {
      clearTimeout(timeLimit);
      clearTimeout(killTimer);
      control.signal?.removeEventListener('abort', onAbort);
      if (stopReason === 'cancel') reject(new CancelledError());
      else if (stopReason === 'timeout') reject(new AvTimeLimitError(control.timeLimitMs));
      else if (error) reject(error);
      else resolve();
    };

    command.on('start', () => {
      child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      // A stop asked for while fluent-ffmpeg was still preparing takes effect now.
      if (stopReason) terminate();
    });
    command.on('stderr', (line: string) => {
      const expected = run.expectedDurationS;
      const match = progressTime.exec(line);
      if (!match || !expected || !control.onProgress) return;
      const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
      // 100 is said only once the output is complete, after ffmpeg exits.
      const percent = Math.min(99, Math.floor((seconds / expected) * 100));
      if (percent > lastPercent) {
        lastPercent = percent;
        control.onProgress(percent);
      }
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      const tail = stderrTail(stderr ?? '', paths);
      if (/Cannot find ffmpeg|ENOENT/.test(error.message) && !stderr) {
        settle(new Error(`ffmpeg could not be started: ${error.message}`));
        return;
      }
      settle(new MediaError(422, `ffmpeg could not process the source${tail ? `: ${tail}` : ''}`));
    });
    command.on('end', () => settle());
    command.run();
  });
}

/**
 * fluent-ffmpeg splits a lone array element holding exactly one space into two arguments; passed as
 * separate arguments (two or more) options are kept verbatim, which filter graphs and text need.
 */
function addVerbatim(command: FfmpegCommand, where: 'input' | 'output', options: readonly string[]): void {
  if (options.length === 0) return;
  const add = where === 'input' ? command.inputOptions.bind(command) : command.outputOptions.bind(command);
  if (options.length === 1) {
    if (options[0].includes(' ')) throw new Error(`ffmpeg option with a space must come with another option: ${options[0]}`);
    add([options[0]]);
    return;
  }
  (add as (...values: string[]) => FfmpegCommand)(...options);
}
