import type { FopJobData, FopJobResult } from '@fopflow/queue';
import type { JobItem, PersistentJobStore, PersistentRef } from '@fopflow/jobs';
import type { Job } from 'bullmq';
import { PersistentJobTracker } from './persistent-job.tracker';

function jobOf(persistent?: PersistentRef): Job<FopJobData, FopJobResult> {
  return { data: { pipeline: 'imageInfo', persistent } } as unknown as Job<FopJobData, FopJobResult>;
}

describe('PersistentJobTracker', () => {
  const patches: Array<[PersistentRef, Partial<JobItem>]> = [];
  const ends: Array<[PersistentRef, JobItem]> = [];
  const store = {
    patchItem: async (ref: PersistentRef, patch: Partial<JobItem>) => void patches.push([ref, patch]),
    finishItem: async (ref: PersistentRef, item: JobItem) => void ends.push([ref, item]),
  };
  const tracker = new PersistentJobTracker(store as unknown as PersistentJobStore);
  const ref = { id: 'job-1', index: 0 };

  beforeEach(() => {
    patches.length = 0;
    ends.length = 0;
  });

  it("records a running item's progress", async () => {
    await tracker.progress(jobOf(ref), 40);
    expect(patches).toEqual([[ref, { progress: 40 }]]);
  });

  it('writes nothing for 100, which the item end replaces at once, nor for a job that is no async item', async () => {
    await tracker.progress(jobOf(ref), 100);
    await tracker.progress(jobOf(), 40);
    expect(patches).toEqual([]);
  });

  it("writes a failed item's end once when BullMQ reports the failure the processor wrote, and a failure it never saw", async () => {
    const failure = new Error('[415] not an image');
    await tracker.failed(jobOf(ref), failure);
    await tracker.failed(jobOf(ref), failure);
    expect(ends.map(([, item]) => item.error)).toEqual(['not an image']);
    await tracker.failed(jobOf(ref), new Error('job stalled more than allowable limit'));
    expect(ends).toHaveLength(2);
  });
});
