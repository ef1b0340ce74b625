import { loadConfig } from './config';

describe('loadConfig', () => {
  it('fills every default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      tiers: ['paid', 'free'],
      defaultTier: 'paid',
      syncWaitMs: 30_000,
      workDir: '.data/work',
      limits: { maxPipelineSteps: 10, maxOutputPixels: 25_000_000 },
    });
  });

  it('reads numbers and lists from the environment', () => {
    const config = loadConfig({ PORT: '9000', FOPFLOW_TIERS: 'gold, silver', FOPFLOW_DEFAULT_TIER: 'silver', FOPFLOW_WORK_DIR: '/dev/shm/ff' });
    expect(config).toMatchObject({ port: 9000, tiers: ['gold', 'silver'], defaultTier: 'silver', workDir: '/dev/shm/ff' });
  });

  it('takes a Redis Cluster as REDIS_URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000' }).redisUrl).toBe('redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ FOPFLOW_SYNC_WAIT_MS: '0' }, /FOPFLOW_SYNC_WAIT_MS/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ REDIS_URL: 'redis+cluster://a:7000,b:x' }, /REDIS_URL: 'b:x' is not a host:port/],
    [{ FOPFLOW_DEFAULT_TIER: 'gold' }, /FOPFLOW_DEFAULT_TIER 'gold' is not one of/],
    [{ FOPFLOW_TIERS: 'paid,Free Tier', FOPFLOW_DEFAULT_TIER: 'paid' }, /'Free Tier'/],
  ])('stops on %p naming the variable', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(pattern);
  });
});
