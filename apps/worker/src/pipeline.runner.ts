import { FopError } from '@fopflow/queue';
import { promises as fs } from 'node:fs';
import { commands, isCustomStep, PipelineStep } from '@fopflow/fop';
import { AvProcessor, ImageProcessor, ObjectSetMember } from '@fopflow/media';
import { Account, ObjectAccess } from '@fopflow/auth';
import { BucketInfo, ObjectStorage } from '@fopflow/storage';
import { inSpan } from '@fopflow/tracing';
import type { CustomStepRunner } from './custom-command.host';
import { fetchObject } from './source.fetcher';
import { WorkDir } from './work-dir';

/** A file in the work directory and what it holds; for a set of objects, also its members. */
export interface WorkFile {
  path: string;
  mime: string;
  /** The other objects of a set (HLS segments, vsample images), stored before this file. */
  members?: ObjectSetMember[];
}

export interface PipelineRun {
  steps: readonly PipelineStep[];
  input: WorkFile;
  /** Whom the job acts for: every object a step reads is checked against it first. */
  account: Account;
  /** Where readers fetch the job's source, which qrcode/0 encodes. */
  sourceUrl?: string;
  workDir: WorkDir;
  signal: AbortSignal;
  /** Overall progress of these steps, 0–100. */
  onProgress(percent: number): void;
  /** Where the result will be stored, for a last step that writes a set of objects (HLS, vsample). */
  objectSetTarget?: { bucket: string; key: string };
}

/**
 * Runs steps one after the other, each on the previous one's output, passing files in the job's
 * work directory: images through sharp in-process, audio/video through ffmpeg child processes,
 * custom commands through their sandbox or service.
 */
export class PipelineRunner {
  constructor(
    private readonly images: ImageProcessor,
    private readonly av: AvProcessor,
    private readonly storage: ObjectStorage,
    /** Largest file an image step reads into memory, and largest extra object a step loads. */
    private readonly maxSourceBytes: number,
    private readonly custom: CustomStepRunner,
    private readonly access: ObjectAccess<BucketInfo>,
  ) {}

  async run({ steps, input, account, sourceUrl, workDir, signal, onProgress, objectSetTarget }: PipelineRun): Promise<WorkFile> {
    let current = input;
    for (const [index, step] of steps.entries()) {
      signal.throwIfAborted();
      const stepProgress = (percent: number) => onProgress(Math.round(((index + percent / 100) / steps.length) * 100));
      current = await inSpan(`step ${step.command}`, { 'fop.step.index': index }, () => this.runStep(step, current, { account, sourceUrl, workDir, signal, onProgress: stepProgress, objectSetTarget })).catch((error: Error) => {
        throw withStep(error, index, steps.length, step.command);
      });
      stepProgress(100);
    }
    return current;
  }

  private async runStep(step: PipelineStep, input: WorkFile, { account, sourceUrl, workDir, signal, onProgress, objectSetTarget }: StepContext): Promise<WorkFile> {
    if (isCustomStep(step)) return this.custom.run(step, input, workDir, signal);
    // A step reads another object only after the job's account is found to be allowed to.
    const mayRead = (bucket: string, key: string) => this.access.authorize(account, 'read', bucket, `${step.command} reads ${bucket}:${key}`);
    if (commands[step.command].family === 'av') {
      return this.av.runStep(step as never, input.path, {
        workDir: workDir.path,
        signal,
        onProgress,
        ...(objectSetTarget && { objectSetTarget }),
        objectPath: async (bucket, key) => {
          await mayRead(bucket, key);
          const path = workDir.file('extra');
          await fetchObject(this.storage, { bucket, key }, path, this.maxSourceBytes);
          return path;
        },
      });
    }
    const { size } = await fs.stat(input.path);
    if (size > this.maxSourceBytes) {
      throw new FopError(413, 'SourceTooLarge', `input of ${size} bytes is over maxSourceBytes ${this.maxSourceBytes}`);
    }
    const output = await this.images.runStep(step, await fs.readFile(input.path), {
      sourceUrl,
      loadObject: async (bucket, key) => {
        await mayRead(bucket, key);
        return (await this.storage.readBuffer(bucket, key, this.maxSourceBytes)).data;
      },
    });
    const path = workDir.file(step.command);
    await fs.writeFile(path, output.data);
    return { path, mime: output.mime };
  }
}

type StepContext = Pick<PipelineRun, 'account' | 'sourceUrl' | 'workDir' | 'signal' | 'onProgress' | 'objectSetTarget'>;

/** Says which step failed, keeping the error's status: `step 2/3 (imageMogr2): ...`. */
function withStep(error: Error, index: number, total: number, command: string): Error {
  if (total > 1 && !/^step \d+\//.test(error.message)) error.message = `step ${index + 1}/${total} (${command}): ${error.message}`;
  return error;
}
