import type { StepProgressDetail } from '@fopflow/media';
import type { FopJobProgress } from '@fopflow/queue';
import type { RenditionProgress } from '@fopflow/fop';

/** Least time between two progress reports of one job, in ms: each is a Redis write and an event. */
export const progressIntervalMs = 1000;

/** Where a job's progress goes: BullMQ's `job.updateProgress`. */
export interface ProgressSink {
  updateProgress(progress: number | FopJobProgress): Promise<void>;
}

/**
 * Passes a job's progress on at most once per `progressIntervalMs` (100 always gets through), as
 * a bare number, or with a step's detail (adapt's renditions) as a FopJobProgress. The latest
 * renditions are kept whether or not a report was passed on, for the job's result.
 */
export class JobProgressReporter {
  private lastAt = -Infinity;
  private lastPercent = -1;
  private lastRenditions = '';
  private latestRenditions?: RenditionProgress[];

  constructor(
    private readonly job: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** The shape PlanContext.onProgress takes. */
  readonly report = (percent: number, detail?: StepProgressDetail): void => {
    if (detail) this.latestRenditions = detail.renditions;
    const renditions = detail ? JSON.stringify(detail.renditions) : undefined;
    // The plan's bare 100 after adapt's own final report says nothing new.
    const news = percent !== this.lastPercent || (renditions !== undefined && renditions !== this.lastRenditions);
    const now = this.now();
    if (!news || (percent < 100 && now - this.lastAt < progressIntervalMs)) return;
    this.lastAt = now;
    this.lastPercent = percent;
    if (renditions !== undefined) this.lastRenditions = renditions;
    void this.job.updateProgress(detail ? { percent, renditions: detail.renditions } : percent).catch(() => undefined);
  };

  /** The renditions of the last report that had them (adapt), for the job's result. */
  renditions(): RenditionProgress[] | undefined {
    return this.latestRenditions;
  }
}
