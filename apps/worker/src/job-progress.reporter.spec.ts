import type { RenditionProgress } from '@fopflow/fop';
import type { FopJobProgress } from '@fopflow/queue';
import { JobProgressReporter, progressIntervalMs } from './job-progress.reporter';

const rendition = (index: number, progress: number): RenditionProgress => ({
  key: `abr/m-00000${index}.m3u8`,
  bandwidth: 100000 * (index + 1),
  resolution: '64x48',
  progress,
});

describe('JobProgressReporter', () => {
  let clock: number;
  let written: Array<number | FopJobProgress>;
  let reporter: JobProgressReporter;

  beforeEach(() => {
    clock = 0;
    written = [];
    reporter = new JobProgressReporter({ updateProgress: async (progress) => void written.push(progress) }, () => clock);
  });

  it('passes on at most one report per interval, and 100 at once', () => {
    reporter.report(10);
    reporter.report(20);
    clock += progressIntervalMs - 1;
    reporter.report(30);
    clock += 1;
    reporter.report(40);
    reporter.report(100);
    reporter.report(100);
    expect(written).toEqual([10, 40, 100]);
  });

  it("sends a step's renditions with its percentage, under the same interval, and keeps the latest for the result", () => {
    reporter.report(0, { renditions: [rendition(0, 0), rendition(1, 0)] });
    reporter.report(25, { renditions: [rendition(0, 50), rendition(1, 0)] });
    clock += progressIntervalMs;
    reporter.report(50, { renditions: [rendition(0, 100), rendition(1, 0)] });
    reporter.report(100, { renditions: [rendition(0, 100), rendition(1, 100)] });
    // The plan's own 100 after the step's says nothing new.
    reporter.report(100);
    expect(written).toEqual([
      { percent: 0, renditions: [rendition(0, 0), rendition(1, 0)] },
      { percent: 50, renditions: [rendition(0, 100), rendition(1, 0)] },
      { percent: 100, renditions: [rendition(0, 100), rendition(1, 100)] },
    ]);
    expect(reporter.renditions()).toEqual([rendition(0, 100), rendition(1, 100)]);
  });

  it('has no renditions for a job whose steps report none', () => {
    reporter.report(50);
    expect(reporter.renditions()).toBeUndefined();
  });
});
