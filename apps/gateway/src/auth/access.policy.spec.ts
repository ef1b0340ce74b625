import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { FopflowConfig } from '@fopflow/config';
import { parsePipeline } from '@fopflow/fop';
import { LocalDiskStorage } from '@fopflow/storage';
import { AccessPolicy } from './access.policy';
import { RateLimits } from './rate-limits';

const config = { accessKeys: [{ accessKey: 'victimAK01', secretKey: 'victim-secret', tier: 'paid' }], adminToken: 'operator', defaultTier: 'paid', allowedTargets: [] } as unknown as FopflowConfig;
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

  it('decides an outside mark by the outbound guard alone: no bucket of that path, an internal IP refused with 400', async () => {
    await storage.createBucket('secret', { owner: 'victimAK01', private: true });
    const own = { isOwnHost: (url: URL) => url.host === 'media.example.com' };
    const mark = (url: string) => parsePipeline(`watermark/1/image/${Buffer.from(url).toString('base64url')}`, own);
    // Another site's /secret/logo.png is not the victim's object, so no bucket decision applies.
    await expect(policy.authorizeFop('attackAK01', mark('https://cdn.other.net/secret/logo.png'))).resolves.toBeUndefined();
    await expect(policy.authorizeFop('attackAK01', mark('https://media.example.com/secret/logo.png'))).rejects.toMatchObject({ status: 404 });
    await expect(policy.authorizeFop('victimAK01', mark('http://169.254.169.254/secret/logo.png'))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^step 1 \(watermark\) fetches http:\/\/169\.254\.169\.254\/secret\/logo\.png: .*link-local/),
    });
  });
});
