import { PersistentJobStore } from '@fopflow/jobs';
import { jobMeta } from '../support/job-meta';
import IORedis, { Redis } from 'ioredis';
import { startRedis, TestRedis } from '../support/redis-server';

const meta = (id: string) => jobMeta(id, ['imageInfo']);

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

  it('releases a pending claim only for the job that made it, so a retry claims anew', async () => {
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-a')).toBeUndefined();
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-b')).toMatchObject({ id: 'job-a', pending: true });
    // Another job may not release job-a's claim.
    expect(await store.releaseIdempotencyKey('ak-owner', 'k1', 'job-b')).toBe(false);
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-c')).toMatchObject({ id: 'job-a' });
    expect(await store.releaseIdempotencyKey('ak-owner', 'k1', 'job-a')).toBe(true);
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-d')).toBeUndefined();
    expect(await store.claimIdempotencyKey('ak-owner', 'k1', 'job-e')).toMatchObject({ id: 'job-d' });
  });

  it('keeps a confirmed claim: neither released nor taken over', async () => {
    expect(await store.claimIdempotencyKey('ak-owner', 'k2', 'job-a')).toBeUndefined();
    await store.confirmIdempotencyKey('ak-owner', 'k2', 'job-a');
    expect(await store.claimIdempotencyKey('ak-owner', 'k2', 'job-b')).toEqual({ id: 'job-a', pending: false, ageS: expect.any(Number) });
    expect(await store.releaseIdempotencyKey('ak-owner', 'k2', 'job-a')).toBe(false);
    expect(await store.takeOverIdempotencyKey('ak-owner', 'k2', 'job-a', 'job-b')).toBe(false);
    // A claim made before claims had states (a bare id) counts as confirmed.
    await redis.set('fopflow:idem:ak-owner:k3', 'job-old');
    expect(await store.claimIdempotencyKey('ak-owner', 'k3', 'job-new')).toMatchObject({ id: 'job-old', pending: false });
  });

  it('tells a pending claim its age, and hands it over to a later job only from the abandoned one', async () => {
    expect(await store.claimIdempotencyKey('ak-owner', 'k4', 'job-ghost')).toBeUndefined();
    // Two minutes pass, as a dead gateway's claim would sit.
    await redis.expire('fopflow:idem:ak-owner:k4', 24 * 3600 - 120);
    const earlier = await store.claimIdempotencyKey('ak-owner', 'k4', 'job-retry');
    expect(earlier).toEqual({ id: 'job-ghost', pending: true, ageS: expect.any(Number) });
    expect(earlier!.ageS).toBeGreaterThanOrEqual(120);
    expect(await store.takeOverIdempotencyKey('ak-owner', 'k4', 'job-other', 'job-retry')).toBe(false);
    expect(await store.takeOverIdempotencyKey('ak-owner', 'k4', 'job-ghost', 'job-retry')).toBe(true);
    // The new claim starts its own clock: it is not past the grace as the ghost's was.
    const late = await store.claimIdempotencyKey('ak-owner', 'k4', 'job-late');
    expect(late).toMatchObject({ id: 'job-retry', pending: true });
    expect(late!.ageS).toBeLessThan(120);
  });

  it('discards a job that was never queued: no record, no listing entry', async () => {
    await store.create(meta('job-x'), ['imageInfo']);
    expect(await store.list('ak-owner', { limit: 10 })).toContain('job-x');
    await store.discard(meta('job-x'));
    expect(await store.status('job-x')).toBeUndefined();
    expect(await store.list('ak-owner', { limit: 10 })).not.toContain('job-x');
  });
});
