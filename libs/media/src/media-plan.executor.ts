import type { PipelineStep } from '@fopflow/fop';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { throwIfCancelled } from './av.errors';
import { AvProcessor, type AvStep } from './av.processor';
import type { AvStepContext, StepProgressDetail } from './av-step.types';
import { ImageProcessor } from './image.processor';
import { StepData } from './step-data';
import { StepRunRegistry } from './step-run.registry';

/** What the caller provides for one plan. */
export interface PlanContext {
  /** Private directory for ffmpeg's files; in-memory steps write nothing here. */
  workDir: string;
  signal: AbortSignal;
  /** Overall progress of the plan, 0–100, with the running step's detail when it has one (adapt's renditions). */
  onProgress(percent: number, detail?: StepProgressDetail): void;
  /** Bytes of a stored object a step reads (a watermark image), after the caller's access check. */
  loadObject(bucket: string, key: string): Promise<Buffer>;
  /** Absolute local path of a stored object an ffmpeg step reads (avconcat's inputs). */
  objectPath(bucket: string, key: string): Promise<string>;
  /**
   * Bytes at an outside URL a step fetches (a mark on another site), through the caller's outbound
   * guard and size bound; absent, such steps are refused.
   */
  loadUrl?(url: string): Promise<Buffer>;
  /** Runs a step outside the catalogue (a custom command) on a file; absent, such a step is a bug. */
  runOther?(step: PipelineStep, input: { path: string; mime: string }): Promise<{ path: string; mime: string }>;
  /** Where readers fetch the job's source, which qrcode/0 encodes. */
  sourceUrl?: string;
  /** Where the result will be stored, for a last step that writes a set of objects (HLS, vsample). */
  objectSetTarget?: { bucket: string; key: string };
  /** Where the plan's steps sit in a longer pipeline (one segment of it): failures name the step by its place in the whole. */
  stepsOf?: { before: number; total: number };
  /** Wraps each step (tracing); runs it as is when absent. */
  aroundStep?<T>(step: PipelineStep, index: number, work: () => Promise<T>): Promise<T>;
}

/**
 * Runs a pipeline's steps with each command's registered run. Consecutive in-memory steps pass
 * Buffers, never the disk; a source file is read once, by sharp from the file (not copied into a
 * Buffer first), and each image's header is probed once per step that reads it. ffmpeg and custom steps get files: the source's own file when it has one,
 * else the bytes written once into the work dir.
 */
export class MediaPlanExecutor {
  constructor(
    private readonly images: ImageProcessor,
    private readonly av: AvProcessor,
    /** Largest input an in-memory step reads, in bytes. */
    private readonly maxInMemoryBytes: number,
    private readonly registry = new StepRunRegistry(),
  ) {}

  async run(steps: readonly PipelineStep[], input: StepData, context: PlanContext): Promise<StepData> {
    let current = input;
    for (const [index, step] of steps.entries()) {
      throwIfCancelled(context.signal);
      const onProgress = (percent: number, detail?: StepProgressDetail) =>
        context.onProgress(Math.round(((index + percent / 100) / steps.length) * 100), detail);
      const work = () => this.runStep(step, index, current, context, onProgress);
      try {
        current = await (context.aroundStep ? context.aroundStep(step, index, work) : work());
      } catch (error) {
        const { before, total } = context.stepsOf ?? { before: 0, total: steps.length };
        throw withStep(error as Error, before + index, total, step.command);
      }
      onProgress(100);
    }
    return current;
  }

  private async runStep(step: PipelineStep, index: number, input: StepData, context: PlanContext, onProgress: NonNullable<AvStepContext['onProgress']>): Promise<StepData> {
    if (this.runsInMemory(step)) {
      // A file (the cached source) is decoded by sharp from the file: a large source is not copied into the heap first.
      const image = input.data ?? this.images.fileInput(input.file!, await input.sizeWithin(this.maxInMemoryBytes));
      const output = await this.images.runStep(step as never, image, { loadObject: context.loadObject, loadUrl: context.loadUrl, sourceUrl: context.sourceUrl });
      return StepData.inMemory(output.data, output.mime);
    }
    const path = await input.toFile(context.workDir, `${index}-input`);
    if (this.runsOnFile(step)) {
      const output = await this.av.runStep(step as AvStep, path, {
        workDir: context.workDir,
        signal: context.signal,
        onProgress,
        objectPath: context.objectPath,
        ...(context.loadUrl && { urlPath: (url: string) => urlFile(context.loadUrl!, url, context.workDir) }),
        ...(context.objectSetTarget && { objectSetTarget: context.objectSetTarget }),
      });
      return StepData.onFile(output.path, output.mime, output.members);
    }
    if (!context.runOther) throw new Error(`'${step.command}' is no catalogue command and this plan runs no others`);
    const output = await context.runOther(step, { path, mime: input.mime });
    return StepData.onFile(output.path, output.mime);
  }

  private runsInMemory(step: PipelineStep): boolean {
    return this.registry.of(step.command)?.runs === 'in-memory';
  }

  private runsOnFile(step: PipelineStep): boolean {
    return this.registry.of(step.command)?.runs === 'on-file';
  }
}

/** Says which step failed, keeping the error's status: `step 2/3 (imageMogr2): ...`. */
function withStep(error: Error, index: number, total: number, command: string): Error {
  if (total > 1 && !/^step \d+\//.test(error.message)) error.message = `step ${index + 1}/${total} (${command}): ${error.message}`;
  return error;
}

/** Writes an outside URL's body into the work dir, for ffmpeg, which reads files only. */
async function urlFile(loadUrl: (url: string) => Promise<Buffer>, url: string, workDir: string): Promise<string> {
  const path = join(workDir, `url-${randomUUID()}`);
  await fs.writeFile(path, await loadUrl(url));
  return path;
}
