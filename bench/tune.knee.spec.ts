import { pickKnee, pickSetting } from './tune.knee';

describe('pickKnee', () => {
  it('takes the smallest n near the best throughput within the p95 bound', () => {
    const points = [
      { concurrency: 1, perSecond: 10, p95Ms: 100 },
      { concurrency: 2, perSecond: 19.5, p95Ms: 150 },
      { concurrency: 4, perSecond: 20, p95Ms: 190 },
    ];
    expect(pickKnee(points)).toBe(2);
  });
});

describe('pickSetting', () => {
  it('picks the threads × jobs pair with the most throughput within the latency bound', () => {
    const points = [
      { threads: 1, concurrency: 1, perSecond: 10, p95Ms: 120 },
      { threads: 1, concurrency: 2, perSecond: 17, p95Ms: 150 },
      { threads: 1, concurrency: 4, perSecond: 24, p95Ms: 300 }, // fastest, but past 2× the best single-job p95
      { threads: 2, concurrency: 1, perSecond: 16, p95Ms: 80 },
      { threads: 2, concurrency: 2, perSecond: 21, p95Ms: 150 },
    ];
    expect(pickSetting(points)).toEqual({ threads: 2, concurrency: 2 });
  });

  it('prefers fewer threads × jobs when they are as fast', () => {
    const points = [
      { threads: 1, concurrency: 1, perSecond: 10, p95Ms: 100 },
      { threads: 1, concurrency: 2, perSecond: 20, p95Ms: 110 },
      { threads: 2, concurrency: 1, perSecond: 20.2, p95Ms: 60 },
      { threads: 2, concurrency: 2, perSecond: 20.4, p95Ms: 120 },
    ];
    expect(pickSetting(points)).toEqual({ threads: 1, concurrency: 2 });
  });

  it('refuses a sweep without a single-job point', () => {
    expect(() => pickSetting([{ threads: 2, concurrency: 2, perSecond: 1, p95Ms: 1 }])).toThrow('one job at once');
  });
});
