import { isCustomStep, PipelineStep } from '@fopflow/fop';
import { MediaPlanExecutor, ObjectSetMember, PlanContext, StepData } from '@fopflow/media';
import { Account, ObjectAccess } from '@fopflow/auth';
import { BucketInfo, ObjectStorage } from '@fopflow/storage';
import { describeUrl, OutboundGuard } from '@fopflow/outbound';
import { inSpan } from '@fopflow/tracing';
import type { CustomStepRunner } from './custom-command.host';
import type { SourceLease } from './source.cache';
import { fetchUrl, type SourceFetcher } from './source.fetcher';
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
  /** Where `steps` sit in the whole pipeline (one segment of it), for messages naming a step. */
  stepsOf?: { before: number; total: number };
  input: StepData;
  /** Whom the job acts for: every object a step reads is checked against it first. */
  account: Account;
  /** Where readers fetch the job's source, which qrcode/0 encodes. */
  sourceUrl?: string;
  workDir: WorkDir;
  signal: AbortSignal;
  /** Overall progress of these steps, 0–100, with the running step's detail when it has one (adapt's renditions). */
  onProgress: PlanContext['onProgress'];
  /** Where the result will be stored, for a last step that writes a set of objects (HLS, vsample). */
  objectSetTarget?: { bucket: string; key: string };
}

/**
 * Runs a job's steps through the media plan executor (image steps in memory, ffmpeg steps on
 * files), custom commands through their sandbox or service. Every stored object a step reads
 * is decided against the job's account first; those ffmpeg reads come through the Fetcher.
 * An outside URL a step fetches (a mark on another site) is no tenant's object: it goes through
 * the outbound guard instead, bounded by maxSourceBytes.
 */
export class PipelineRunner {
  constructor(
    private readonly executor: MediaPlanExecutor,
    private readonly storage: ObjectStorage,
    private readonly fetcher: SourceFetcher,
    /** Largest extra object or outside URL body (a watermark image) a step loads into memory. */
    private readonly maxSourceBytes: number,
    private readonly custom: CustomStepRunner,
    private readonly access: ObjectAccess<BucketInfo>,
    /** Checks every address and redirect of an outside URL a step fetches (a mark on another site). */
    private readonly guard: OutboundGuard,
  ) {}

  async run({ steps, stepsOf, input, account, sourceUrl, workDir, signal, onProgress, objectSetTarget }: PipelineRun): Promise<StepData> {
    const leases: SourceLease[] = [];
    // A step reads another object only after the job's account is found to be allowed to.
    const mayRead = (command: string, bucket: string, key: string) => this.access.authorize(account, 'read', bucket, `${command} reads ${bucket}:${key}`);
    let command = '';
    try {
      return await this.executor.run(steps, input, {
        // Read when a step needs a file: the directory is made then, not for steps that run in memory.
        get workDir() {
          return workDir.path;
        },
        signal,
        onProgress,
        sourceUrl,
        objectSetTarget,
        stepsOf,
        loadObject: async (bucket, key) => {
          await mayRead(command, bucket, key);
          return (await this.storage.readBuffer(bucket, key, this.maxSourceBytes)).data;
        },
        objectPath: async (bucket, key) => {
          await mayRead(command, bucket, key);
          const lease = await this.fetcher.fetch({ bucket, key });
          leases.push(lease);
          return lease.path;
        },
        loadUrl: async (url) => (await fetchUrl(url, this.guard, this.maxSourceBytes, `${command} mark ${describeUrl(new URL(url))}`)).data,
        runOther: (step, file) => {
          if (!isCustomStep(step)) throw new Error(`'${step.command}' has no run`);
          return this.custom.run(step, file, workDir, signal);
        },
        aroundStep: (step, index, work) => {
          command = step.command;
          return inSpan(`step ${step.command}`, { 'fop.step.index': index }, work);
        },
      });
    } finally {
      for (const lease of leases) lease.release();
    }
  }
}
