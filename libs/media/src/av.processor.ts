import { isAbsolute } from 'node:path';
import type { FopStep } from '@fopflow/fop';
import { type AvLimits, DEFAULT_AV_LIMITS } from './av-limits';
import { throwIfCancelled } from './av.errors';
import type { AvOpEnvironment, AvOutput, AvStepContext, ProbeChecks } from './av-step.types';
import { type AvProbe, readProbe, summarizeProbe } from './ffprobe.reader';
import { MediaError } from './media.errors';
import { availableEncoders } from './ffmpeg.runner';
import type { OnFileRun } from './step-run';
import { StepRunRegistry } from './step-run.registry';

/** The steps AvProcessor runs: the catalogue's `family: 'av'` commands. */
export type AvStep = Extract<FopStep, { command: 'avthumb' | 'vframe' | 'avinfo' | 'avconcat' | 'vsample' | 'adapt' }>;

/**
 * Runs audio/video steps on files with ffmpeg child processes: video never passes through memory.
 * Every source is probed and checked against the limits before ffmpeg decodes a frame of it.
 */
export class AvProcessor {
  /** The limits in force: the defaults, overridden by the constructor's argument. */
  readonly limits: Readonly<AvLimits>;

  constructor(
    limits: Partial<AvLimits> = {},
    private readonly registry = new StepRunRegistry(),
  ) {
    const merged = { ...DEFAULT_AV_LIMITS, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      // A bad limit is the caller's bug; failing here beats a step that never times out.
      if (!Number.isFinite(value) || value <= 0) throw new RangeError(`AvLimits.${name} must be a positive number, got ${value}`);
    }
    this.limits = Object.freeze(merged);
  }

  /** ffprobe of a local file; refuses non-media (415), too long media and too large frames (413). */
  async probe(path: string, label = 'source', checks: ProbeChecks = {}): Promise<AvProbe> {
    const probe = summarizeProbe(await readProbe(path));
    const { maxDurationS, maxInputPixels } = this.limits;
    if (checks.duration !== false && probe.durationS !== undefined && probe.durationS > maxDurationS) {
      throw new MediaError(413, `${label} is ${Math.round(probe.durationS)} s long, over maxDurationS ${maxDurationS}`);
    }
    for (const video of probe.videoStreams) {
      if (video.width * video.height > maxInputPixels) {
        throw new MediaError(413, `${label} has ${video.width}x${video.height} frames, over maxInputPixels ${maxInputPixels}`);
      }
    }
    return probe;
  }

  /**
   * Runs one step on the file at `inputPath`, writing its result into context.workDir. On failure
   * or cancel the step's own files are gone; the input and the work dir are the caller's.
   */
  async runStep(step: AvStep, inputPath: string, context: AvStepContext): Promise<AvOutput> {
    // Relative paths or `proto:` prefixes would let ffmpeg open something other than our file.
    if (!isAbsolute(inputPath) || !isAbsolute(context.workDir)) {
      throw new Error(`AvProcessor needs absolute paths, got input ${inputPath} and workDir ${context.workDir}`);
    }
    throwIfCancelled(context.signal);
    const env: AvOpEnvironment = {
      limits: this.limits,
      probe: (path, label, checks) => this.probe(path, label, checks),
      requireEncoders: (names) => this.requireEncoders(names),
    };
    const callerObjectPath = context.objectPath;
    const callerUrlPath = context.urlPath;
    // ffmpeg reads what it is given; a relative path or `proto:...` must never reach it.
    const absolute = (what: string, path: string) => {
      if (!isAbsolute(path)) throw new Error(`AvStepContext.${what} must answer an absolute path, got ${path}`);
      return path;
    };
    const checked: AvStepContext = {
      ...context,
      objectPath: async (bucket, key) => absolute('objectPath', await callerObjectPath(bucket, key)),
      ...(callerUrlPath && { urlPath: async (url: string) => absolute('urlPath', await callerUrlPath(url)) }),
    };
    const run = this.registry.of(step.command);
    if (run?.runs !== 'on-file') throw new MediaError(400, `'${(step as FopStep).command}' is not an audio/video command`);
    return (run as OnFileRun).run(step.args, inputPath, checked, env);
  }

  private async requireEncoders(names: readonly string[]): Promise<void> {
    const available = await availableEncoders();
    const missing = names.filter((name) => !available.has(name));
    if (missing.length) throw new MediaError(400, `this server's ffmpeg has no encoder ${missing.join(', ')}; choose another codec`);
  }
}
