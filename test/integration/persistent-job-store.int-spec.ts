import { PersistentJobMeta, PersistentJobStore } from '@fopflow/queue';
import IORedis, { Redis } from 'ioredis';
import { startRedis, TestRedis } from '../support/redis-server';

const meta = (id: string): PersistentJobMeta => ({
  id,
  kind: 'native',
  owner: 'ak-owner',
  queueTier: 'paid',
  inputBucket: 'media',
  inputKey: 'photo.jpg',
  pipeline: '0.default',
  fops: ['imageInfo'],
  force: false,
  createdAt: Date.now(),
  reqid: 'r',
});

describe('PersistentJobStore claims and discards on real Redis', () => {
  let server: TestRedis;
  let redis: Redis;
  let store: PersistentJobStore;

  beforeAll(async () => {
    server = await startRedis();
    redis = new IORedis(server.url);
    store = new PersistentJobStore(redis, 600);
  });

  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it('releases a claim only for the job that made it, so a retry claims anew', async () => {
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-a')).toBeUndefined();
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-b')).toBe('job-a');
    // Another job may not release job-a's claim.
    expect(await store.releaseIdempotencyKey('ak-owner', 'k1', 'job-b')).toBe(false);
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-c')).toBe('job-a');
    expect(await store.releaseIdempotencyKey('ak-owner', 'k1', 'job-a')).toBe(true);
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-d')).toBeUndefined();
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-e')).toBe('job-d');
  });

  it('discards a job that was never queued: no record, no listing entry', async () => {
    await store.create(meta('job-x'), ['imageInfo']);
    expect(await store.list('ak-owner', { limit: 10 })).toContain('job-x');
    await store.discard(meta('job-x'));
    expect(await store.status('job-x')).toBeUndefined();
    expect(await store.list('ak-owner', { limit: 10 })).not.toContain('job-x');
  });
});
