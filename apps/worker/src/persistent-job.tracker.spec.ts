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

  it("records an adapt item's renditions with its progress, and keeps them, each at 100, in the done item", async () => {
    const renditions = [
      { key: 'abr/m-000000.m3u8', bandwidth: 100000, resolution: '64x48', progress: 100 },
      { key: 'abr/m-000001.m3u8', bandwidth: 300000, resolution: '128x96', progress: 20 },
    ];
    await tracker.progress(jobOf(ref), { percent: 60, renditions });
    expect(patches).toEqual([[ref, { progress: 60, renditions }]]);
    const done = renditions.map((rendition) => ({ ...rendition, progress: 100 }));
    await tracker.completed(jobOf(ref), { resultKey: 'r', mime: 'application/vnd.apple.mpegurl', size: 1, durationMs: 1, renditions: done });
    expect(ends).toEqual([[ref, expect.objectContaining({ code: 0, renditions: done })]]);
  });

  it('ignores a progress it cannot read', async () => {
    await tracker.progress(jobOf(ref), 'halfway');
    await tracker.progress(jobOf(ref), null);
    expect(patches).toEqual([]);
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
