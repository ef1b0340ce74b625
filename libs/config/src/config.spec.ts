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

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ FOPFLOW_SYNC_WAIT_MS: '0' }, /FOPFLOW_SYNC_WAIT_MS/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ FOPFLOW_DEFAULT_TIER: 'gold' }, /FOPFLOW_DEFAULT_TIER 'gold' is not one of/],
    [{ FOPFLOW_TIERS: 'paid,Free Tier', FOPFLOW_DEFAULT_TIER: 'paid' }, /'Free Tier'/],
  ])('stops on %p naming the variable', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(pattern);
  });
});
