import type { RenditionProgress } from '@fopflow/fop';
import type { AvLimits } from './av-limits';
import type { AvProbe } from './ffprobe.reader';

/** What the caller of AvProcessor.runStep provides for one step. */
export interface AvStepContext {
  /** Private directory for this job's temporary files; the caller creates and removes it. */
  workDir: string;
  /** Aborting kills ffmpeg (SIGTERM, then SIGKILL), removes partial output and throws CancelledError. */
  signal?: AbortSignal;
  /** Progress of this step, 0 to 100, rising; 100 once its output is complete. `detail` only from steps that have one. */
  onProgress?(percent: number, detail?: StepProgressDetail): void;
  /** Local path of one of our objects (avconcat sources, wmImage); throws the storage's error if missing. */
  objectPath(bucket: string, key: string): Promise<string>;
  /** Local path of an outside URL's body (a wmImage on another site), fetched through the outbound guard; absent, such marks are refused. */
  urlPath?(url: string): Promise<string>;
  /**
   * Where the step's primary object will be stored. Steps that write a set of objects (HLS,
   * vsample) need it: their members' keys, and the URIs a playlist holds, derive from it.
   */
  objectSetTarget?: { bucket: string; key: string };
}

/** What a step reports beside its percentage: adapt, each rendition's own progress. */
export interface StepProgressDetail {
  renditions: RenditionProgress[];
}

/** The file a step wrote and its MIME type; for a set of objects, also its members. */
export interface AvOutput {
  path: string;
  mime: string;
  /** The other objects of a set (segments, snapshots), to be stored before the primary one. */
  members?: ObjectSetMember[];
}

/** One member of a set of objects: a file in the work dir and the key it is stored at. */
export interface ObjectSetMember {
  key: string;
  path: string;
  mime: string;
}

/** Which limits a probe enforces; both by default. */
export interface ProbeChecks {
  /** Refuse sources longer than maxDurationS. vframe turns it off: it decodes one frame, not the length. */
  duration?: boolean;
}

/** What every `*.op.ts` gets from AvProcessor. */
export interface AvOpEnvironment {
  limits: AvLimits;
  /** ffprobe with the input limits checked; `label` names the file in messages (`source 2`). */
  probe(path: string, label: string, checks?: ProbeChecks): Promise<AvProbe>;
  /** Fails with 400 when this ffmpeg lacks an encoder a step asks for. */
  requireEncoders(names: readonly string[]): Promise<void>;
}
