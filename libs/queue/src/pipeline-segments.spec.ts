import { resultKey } from './names';
import type { FopJobData } from './payloads';
import { ONE_POOL, pipelineSegments, segmentJobs } from './pipeline-segments';

const pools: Record<string, string> = { vframe: 'av', avthumb: 'av', imageMogr2: 'image', imageInfo: 'image', imageView2: 'image' };
const poolOf = (command: string) => pools[command] ?? command;

const item = (pipeline: string): FopJobData => ({
  source: { bucket: 'b', key: 'k', etag: 'e', size: 1 },
  pipeline,
  saveas: { bucket: 'out', key: 'o' },
  tier: 'paid',
  resultKey: 'whole',
  requestedAt: 0,
  persistent: { id: 'z0.j', index: 0, force: false },
});

describe('pipelineSegments', () => {
  it('keeps consecutive steps of one pool together', () => {
    expect(pipelineSegments('imageView2/2/w/10|imageMogr2/rotate/90|imageInfo', poolOf)).toEqual(['imageView2/2/w/10|imageMogr2/rotate/90|imageInfo']);
  });

  it('splits where the pool changes, custom commands being pools of their own', () => {
    expect(pipelineSegments('vframe/png/offset/1|imageMogr2/thumbnail/64x|ufop-x/a|imageInfo', poolOf)).toEqual([
      'vframe/png/offset/1',
      'imageMogr2/thumbnail/64x',
      'ufop-x/a',
      'imageInfo',
    ]);
  });

  it('never splits with one pool for all', () => {
    expect(pipelineSegments('vframe/png/offset/1|imageInfo', ONE_POOL)).toEqual(['vframe/png/offset/1|imageInfo']);
  });
});

describe('segmentJobs', () => {
  it('leaves a pipeline of one pool as the one job it was', () => {
    const data = item('imageInfo');
    expect(segmentJobs(data, 'z0.j-0', poolOf)).toEqual([{ data, jobId: 'z0.j-0' }]);
  });

  it('chains segments through the cache keys a hand-off would use, the last keeping id, saveas and result key', () => {
    const [first, last] = segmentJobs(item('vframe/png/offset/1|imageMogr2/thumbnail/64x|imageInfo'), 'z0.j-0', poolOf);
    const firstKey = resultKey('b', 'k', 'e', 'vframe/png/offset/1');
    expect(first.jobId).toBe('z0.j-0.0');
    expect(first.data).toMatchObject({ pipeline: 'vframe/png/offset/1', resultKey: firstKey, feedsNext: true, stepsOf: { before: 0, total: 3 } });
    expect(first.data.saveas).toBeUndefined();
    expect(first.data.intermediate).toBeUndefined();
    expect(last.jobId).toBe('z0.j-0');
    expect(last.data).toMatchObject({ pipeline: 'imageMogr2/thumbnail/64x|imageInfo', resultKey: 'whole', saveas: { bucket: 'out', key: 'o' }, intermediate: { resultKey: firstKey }, stepsOf: { before: 1, total: 3 } });
    expect(last.data.feedsNext).toBeUndefined();
  });

  it('keys a middle segment by the one before it', () => {
    const [first, middle] = segmentJobs(item('vframe/png/offset/1|ufop-x/a|imageInfo'), 'j', poolOf);
    expect(middle.data.resultKey).toBe(resultKey('b', 'k', 'e', `${first.data.resultKey}|ufop-x/a`));
    expect(middle.data.intermediate).toEqual({ resultKey: first.data.resultKey });
  });
});
