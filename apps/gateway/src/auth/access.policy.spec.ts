import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { FopflowConfig } from '@fopflow/config';
import { parsePipeline } from '@fopflow/fop';
import { LocalDiskStorage } from '@fopflow/storage';
import { AccessPolicy } from './access.policy';
import { RateLimits } from './rate-limits';

const config = { accessKeys: [{ accessKey: 'victimAK01', secretKey: 'victim-secret', tier: 'paid' }], adminToken: 'operator', defaultTier: 'paid' } as unknown as FopflowConfig;
// Neither method below counts request rates: a limiter that fails on any call proves it.
const noLimits = new Proxy({}, { get: () => () => Promise.reject(new Error('unexpected rate-limit call')) }) as unknown as RateLimits;

describe('AccessPolicy over a real data dir', () => {
  let dir: string;
  let storage: LocalDiskStorage;
  let policy: AccessPolicy;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fopflow-access-'));
    storage = new LocalDiskStorage(dir);
    policy = new AccessPolicy(config, storage, noLimits);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the buckets an older version left without owner to the operator, once', async () => {
    await storage.createBucket('legacy', { private: true });
    await storage.createBucket('mine', { owner: 'victimAK01' });
    // A bucket.json as versions before owners were required wrote it.
    writeFileSync(join(dir, 'buckets', 'legacy', 'bucket.json'), JSON.stringify({ name: 'legacy', private: true, createdAt: 1 }));

    expect(await policy.adoptOwnerlessBuckets()).toEqual(['legacy']);
    expect(await storage.getBucket('legacy')).toMatchObject({ owner: OPERATOR_ACCOUNT, private: true });
    expect(await storage.getBucket('mine')).toMatchObject({ owner: 'victimAK01' });
    expect(await policy.adoptOwnerlessBuckets()).toEqual([]);
  });

  it('checks every reference of a fop and its saveas target before anything runs', async () => {
    await storage.createBucket('secret', { owner: 'victimAK01', private: true });
    const mark = Buffer.from('secret:logo.png').toString('base64url');
    const pipeline = parsePipeline(`imageView2/2/w/10|watermark/1/image/${mark}`);
    await expect(policy.authorizeFop('attackAK01', pipeline)).rejects.toMatchObject({ status: 404, message: expect.stringContaining('step 2 (watermark) reads secret:logo.png') });
    await expect(policy.authorizeFop('victimAK01', pipeline)).resolves.toBeUndefined();
    await expect(policy.authorizeFop('victimAK01', parsePipeline('imageInfo'), { bucket: 'secret', key: 'x' })).resolves.toBeUndefined();
    await expect(policy.authorizeFop('attackAK01', parsePipeline('imageInfo'), { bucket: 'secret', key: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});
