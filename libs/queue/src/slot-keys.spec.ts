import IORedis, { Cluster } from 'ioredis';
import { queuePrefix } from './queue-prefix';
import { slotGroup } from './slot-keys';

describe('key groups on each Redis shape', () => {
  // Never connected: only the shape of the client matters here.
  const single = new IORedis({ lazyConnect: true });
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });

  it('keeps key names bare on a single Redis, so existing data stays where it is', () => {
    expect(slotGroup(single, 'fopflow:cache')).toBe('fopflow:cache');
    expect(queuePrefix(single)).toBe('bull');
  });

  it('wraps the group in a hash tag on a cluster, so its keys share one slot', () => {
    expect(slotGroup(cluster, 'fopflow:cache')).toBe('{fopflow:cache}');
    expect(queuePrefix(cluster)).toBe('{bull}');
  });
});
