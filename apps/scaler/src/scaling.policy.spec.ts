import { PoolSettings } from '@fopflow/keeper';
import { decide, neededInstances, Recommendations } from './scaling.policy';

const pool: PoolSettings = {
  commands: ['imageView2'],
  minInstances: 1,
  maxInstances: 8,
  targetPendingPerInstance: 10,
  scaleDownStabilizationS: 60,
  maxScaleUpStep: 3,
  graceMs: 1000,
  image: 'x',
  version: '1',
};
const quiet = { arrivalPerS: 0, meanServiceS: 1, concurrencyPerInstance: 2 };

describe('neededInstances', () => {
  it('is ceil(pending / target), clamped to min and max (HPA AverageValue)', () => {
    expect(neededInstances({ ...quiet, pending: 0 }, pool)).toBe(1);
    expect(neededInstances({ ...quiet, pending: 25 }, pool)).toBe(3);
    expect(neededInstances({ ...quiet, pending: 10_000 }, pool)).toBe(8);
  });

  it('adds the instances arrivals need: rate × service time ÷ concurrency', () => {
    // 10 jobs/s of 0.5 s each on 2 at once per instance: 2.5 → 3 more than the backlog needs.
    expect(neededInstances({ pending: 10, arrivalPerS: 10, meanServiceS: 0.5, concurrencyPerInstance: 2 }, pool)).toBe(4);
  });
});

describe('decide', () => {
  it('scales up at once, by at most maxScaleUpStep', () => {
    expect(decide(8, 1, [], pool, 0)).toBe(4);
    expect(decide(3, 1, [], pool, 0)).toBe(3);
  });

  it('scales down only to the highest recommendation within the window', () => {
    const history: Recommendations = [];
    expect(decide(6, 6, history, pool, 0)).toBe(6);
    expect(decide(2, 6, history, pool, 30_000)).toBe(6);
    expect(decide(2, 6, history, pool, 59_000)).toBe(6);
    // The 6 of t=0 has left the 60 s window; the 2s remain.
    expect(decide(2, 6, history, pool, 61_000)).toBe(2);
  });

  it('never goes above the current count on the way down', () => {
    const history: Recommendations = [{ at: 0, instances: 8 }];
    expect(decide(1, 3, history, pool, 1000)).toBe(3);
  });
});
