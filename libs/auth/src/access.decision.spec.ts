import { ANONYMOUS_ACCOUNT, decideAccess, OPERATOR_ACCOUNT } from './access.decision';

const victim = 'victimAK01';
const attacker = 'attackAK01';
const publicBucket = { owner: victim, private: false };
const privateBucket = { owner: victim, private: true };

describe('decideAccess', () => {
  it.each([
    // account, action, bucket settings, expected status (0: allowed)
    [victim, 'read', privateBucket, 0],
    [victim, 'write', privateBucket, 0],
    [victim, 'manage', privateBucket, 0],
    [attacker, 'read', publicBucket, 0],
    [ANONYMOUS_ACCOUNT, 'read', publicBucket, 0],
    [attacker, 'write', publicBucket, 403],
    [attacker, 'manage', publicBucket, 403],
    [attacker, 'read', privateBucket, 404],
    [attacker, 'write', privateBucket, 404],
    [attacker, 'manage', privateBucket, 404],
    [ANONYMOUS_ACCOUNT, 'read', privateBucket, 404],
    [ANONYMOUS_ACCOUNT, 'write', publicBucket, 401],
    [OPERATOR_ACCOUNT, 'write', privateBucket, 0],
    [OPERATOR_ACCOUNT, 'manage', privateBucket, 0],
  ] as const)('%s %s on %o → %d', (account, action, bucket, status) => {
    const verdict = decideAccess(account, action, 'photos', bucket);
    expect(verdict.allowed ? 0 : verdict.status).toBe(status);
  });

  it('names the bucket in a refusal', () => {
    expect(decideAccess(attacker, 'write', 'photos', publicBucket)).toMatchObject({ allowed: false, reason: expect.stringContaining("'photos'") });
  });

  it('lets a key or the operator write into a bucket that does not exist yet (making it theirs), never anonymous', () => {
    expect(decideAccess(attacker, 'write', 'fresh', undefined).allowed).toBe(true);
    expect(decideAccess(OPERATOR_ACCOUNT, 'write', 'fresh', undefined).allowed).toBe(true);
    expect(decideAccess(ANONYMOUS_ACCOUNT, 'write', 'fresh', undefined)).toMatchObject({ allowed: false, status: 401 });
    expect(decideAccess(attacker, 'read', 'fresh', undefined)).toMatchObject({ allowed: false, status: 404 });
  });

  it('keeps the fopflow- namespace from every key: not made, read, written or listed; 404 once it exists', () => {
    expect(decideAccess(attacker, 'write', 'fopflow-ufop-uploads', undefined)).toMatchObject({ allowed: false, status: 403 });
    for (const action of ['read', 'write', 'manage'] as const) {
      expect(decideAccess(attacker, action, 'fopflow-ufop-uploads', { owner: attacker, private: false })).toMatchObject({ allowed: false, status: 404 });
      expect(decideAccess(ANONYMOUS_ACCOUNT, action, 'fopflow-ufop-uploads', { owner: '#platform', private: true })).toMatchObject({ allowed: false, status: 404 });
    }
    expect(decideAccess(OPERATOR_ACCOUNT, 'read', 'fopflow-ufop-uploads', { owner: '#platform', private: true }).allowed).toBe(true);
  });

  it('treats a bucket without an owner as nobody\'s: only the operator writes in it', () => {
    expect(decideAccess(attacker, 'write', 'legacy', { private: false })).toMatchObject({ allowed: false, status: 403 });
    expect(decideAccess(OPERATOR_ACCOUNT, 'write', 'legacy', { private: false }).allowed).toBe(true);
  });
});
