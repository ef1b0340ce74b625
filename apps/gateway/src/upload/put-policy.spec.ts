import { AccessKeyStore, qiniuSign, urlsafeBase64 } from '@fopflow/auth';
import { GatewayError } from '../http/error.filter';
import { expandMagic, renderReturnBody, UploadFacts } from './magic-variables';
import { chooseKey, mimeAllowed, verifyUploadToken } from './put-policy';

const keys = new AccessKeyStore([
  { accessKey: 'ak-a', secretKey: 'sk-a', tier: 'paid' },
  { accessKey: 'ak-b', secretKey: 'sk-b', tier: 'paid' },
]);
const NOW = 1_800_000_000;

function token(policy: object, ak = 'ak-a', sk = 'sk-a'): string {
  const encoded = urlsafeBase64(JSON.stringify(policy));
  return `${ak}:${qiniuSign(sk, encoded)}:${encoded}`;
}

function refusal(run: () => unknown): { status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('verifyUploadToken', () => {
  it('answers the signing key, the bucket and the scope key', () => {
    const grant = verifyUploadToken(token({ scope: 'photos:a.jpg', deadline: NOW + 60 }), keys, NOW);
    expect(grant.key.accessKey).toBe('ak-a');
    expect(grant.bucket).toBe('photos');
    expect(grant.scopeKey).toBe('a.jpg');
  });

  it('refuses a missing token, a malformed one, an unknown key and a forged signature with 401', () => {
    expect(refusal(() => verifyUploadToken(undefined, keys, NOW))).toEqual({ status: 401, message: 'token not specified' });
    expect(refusal(() => verifyUploadToken('abc', keys, NOW)).status).toBe(401);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 60 }, 'ak-x', 'sk-a'), keys, NOW)).message).toMatch(/unknown access key 'ak-x'/);
    // Signed with B's secret but naming A: the signature does not match A's secret.
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 60 }, 'ak-a', 'sk-b'), keys, NOW)).message).toMatch(/signature/);
  });

  it('refuses a passed deadline with 401 expired token', () => {
    const refused = refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW - 1 }), keys, NOW));
    expect(refused.status).toBe(401);
    expect(refused.message).toMatch(/^expired token/);
  });

  it('refuses unknown, mistyped and missing policy fields with 400 naming them', () => {
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, colour: 'red' }), keys, NOW)).message).toMatch(/unknown field 'colour'/);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, fsizeLimit: '10' }), keys, NOW)).message).toMatch(/fsizeLimit must be a number/);
    expect(refusal(() => verifyUploadToken(token({ deadline: NOW + 9 }), keys, NOW)).message).toMatch(/scope is required/);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, callbackUrl: 'http://x' }), keys, NOW)).message).toMatch(/callbackBody/);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, forceSaveKey: true }), keys, NOW)).status).toBe(400);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, deleteAfterDays: 3 }), keys, NOW)).message).toMatch(/deleteAfterDays is not supported/);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, returnUrl: 'javascript:alert(1)' }), keys, NOW)).message).toMatch(/returnUrl/);
    expect(refusal(() => verifyUploadToken(token({ scope: 'b', deadline: NOW + 9, callbackUrl: 'http://ok/;nope', callbackBody: 'a' }), keys, NOW)).message).toMatch(/callbackUrl 'nope'/);
  });
});

describe('chooseKey', () => {
  const grant = (policy: object) => verifyUploadToken(token({ deadline: NOW + 60, ...policy }), keys, NOW);
  const expand = (template: string) => template.replace('$(etag)', 'HASH');

  it('uses the given key, else saveKey, else the scope key, else the hash', () => {
    expect(chooseKey(grant({ scope: 'b' }), 'k1', expand, 'HASH')).toBe('k1');
    expect(chooseKey(grant({ scope: 'b', saveKey: 'up/$(etag)' }), undefined, expand, 'HASH')).toBe('up/HASH');
    expect(chooseKey(grant({ scope: 'b', saveKey: 'up/$(etag)', forceSaveKey: true }), 'mine', expand, 'HASH')).toBe('up/HASH');
    expect(chooseKey(grant({ scope: 'b:fixed' }), undefined, expand, 'HASH')).toBe('fixed');
    expect(chooseKey(grant({ scope: 'b' }), undefined, expand, 'HASH')).toBe('HASH');
  });

  it('refuses a key outside the scope with 403, and honours prefix scopes', () => {
    expect(refusal(() => chooseKey(grant({ scope: 'b:fixed' }), 'other', expand, 'HASH')).status).toBe(403);
    expect(chooseKey(grant({ scope: 'b:img/', isPrefixalScope: 1 }), 'img/a.png', expand, 'HASH')).toBe('img/a.png');
    expect(refusal(() => chooseKey(grant({ scope: 'b:img/', isPrefixalScope: 1 }), 'doc/a.png', expand, 'HASH')).message).toMatch(/doesn't match with scope/);
  });
});

describe('mimeAllowed', () => {
  it('matches wildcards and exclusions', () => {
    expect(mimeAllowed('image/*;video/mp4', 'image/png')).toBe(true);
    expect(mimeAllowed('image/*;video/mp4', 'text/plain')).toBe(false);
    expect(mimeAllowed('!image/jpeg', 'image/jpeg')).toBe(false);
    expect(mimeAllowed('!image/jpeg', 'image/png')).toBe(true);
    expect(mimeAllowed(undefined, 'anything/at-all')).toBe(true);
  });
});

describe('magic variables', () => {
  const facts: UploadFacts = {
    bucket: 'b',
    key: 'dir/a "quoted".jpg',
    etag: 'Fhash',
    fsize: 42,
    mimeType: 'image/jpeg',
    fname: 'holiday.jpg',
    vars: { 'x:album': 'summer & sun' },
    at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  };

  it('expands dates, file names and x: variables; unknown ones become empty', () => {
    expect(expandMagic('$(year)/$(mon)/$(day)/$(hour)$(min)$(sec)/$(fprefix)$(ext)$(nothing)', facts)).toBe('2026/01/02/030405/holiday.jpg');
    expect(expandMagic('album=$(x:album)', facts, 'form')).toBe('album=summer%20%26%20sun');
  });

  it('renders returnBody as JSON with strings escaped, numbers bare', () => {
    const body = renderReturnBody('{"key":"$(key)","hash":"$(hash)","size":$(fsize),"bucket":"$(bucket)","mime":"$(mimeType)","album":"$(x:album)"}', facts);
    expect(body.json).toEqual({ key: 'dir/a "quoted".jpg', hash: 'Fhash', size: 42, bucket: 'b', mime: 'image/jpeg', album: 'summer & sun' });
    expect(renderReturnBody(undefined, facts).json).toEqual({ key: 'dir/a "quoted".jpg', hash: 'Fhash' });
  });
});
