import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signStandardWebhook, verifyStandardWebhook, webhookSecretKey } from './webhook.signing';

// The Standard Webhooks specification's published test vector (also in Svix's libraries' tests).
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const at = (seconds: number) => new Date(seconds * 1000);

describe('Standard Webhooks signing', () => {
  it('reproduces the specification’s test vector', () => {
    const headers = signStandardWebhook({ id: SPEC_ID, timestamp: SPEC_TIMESTAMP, body: SPEC_BODY, secrets: [SPEC_SECRET] });
    expect(headers).toEqual({ 'webhook-id': SPEC_ID, 'webhook-timestamp': '1614265330', 'webhook-signature': SPEC_SIGNATURE });
    const headersFromSpec = { 'webhook-id': SPEC_ID, 'webhook-timestamp': String(SPEC_TIMESTAMP), 'webhook-signature': SPEC_SIGNATURE };
    expect(verifyStandardWebhook(headersFromSpec, SPEC_BODY, [SPEC_SECRET], { now: at(SPEC_TIMESTAMP) })).toEqual({ valid: true });
  });

  it('signs "{id}.{timestamp}.{body}" with HMAC-SHA256, computed independently here', () => {
    const body = Buffer.from('{"id":"z0.5f3…","code":0}');
    const expectedRaw = createHmac('sha256', Buffer.from('plain secret', 'utf8'))
      .update(Buffer.concat([Buffer.from('job-42.1700000000.'), body]))
      .digest('base64');
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const expectedPrefixed = createHmac('sha256', key).update(`job-42.1700000000.${body.toString()}`).digest('base64');

    expect(signStandardWebhook({ id: 'job-42', timestamp: 1700000000, body, secrets: ['plain secret'] })['webhook-signature']).toBe(`v1,${expectedRaw}`);
    expect(
      signStandardWebhook({ id: 'job-42', timestamp: 1700000000, body, secrets: [`whsec_${key.toString('base64')}`] })['webhook-signature'],
    ).toBe(`v1,${expectedPrefixed}`);
  });

  it('reads whsec_ secrets as base64 and others as UTF-8, refusing broken base64', () => {
    expect(webhookSecretKey('whsec_aGVsbG8=').toString()).toBe('hello');
    expect(webhookSecretKey('aGVsbG8=').toString()).toBe('aGVsbG8=');
    expect(() => webhookSecretKey('whsec_not base64!')).toThrow(/not valid base64/);
    expect(() => webhookSecretKey('whsec_')).toThrow(/not valid base64/);
    const fresh = generateWebhookSecret();
    expect(fresh).toMatch(/^whsec_/);
    expect(webhookSecretKey(fresh)).toHaveLength(32);
  });

  it('signs once per secret during a rotation, and either secret verifies', () => {
    const oldSecret = 'whsec_' + Buffer.from('old-key-old-key-old-key-').toString('base64');
    const newSecret = generateWebhookSecret();
    const headers = signStandardWebhook({ id: 'job-1', timestamp: 1000, body: '{}', secrets: [newSecret, oldSecret] });
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((signature) => signature.startsWith('v1,'))).toBe(true);

    expect(verifyStandardWebhook(headers, '{}', [oldSecret], { now: at(1000) })).toEqual({ valid: true });
    expect(verifyStandardWebhook(headers, '{}', [newSecret], { now: at(1000) })).toEqual({ valid: true });
    expect(verifyStandardWebhook(headers, '{}', [generateWebhookSecret()], { now: at(1000) })).toMatchObject({ valid: false });
  });

  it('refuses an altered body, id or timestamp', () => {
    const headers = signStandardWebhook({ id: 'job-1', timestamp: 1000, body: '{"code":0}', secrets: [SPEC_SECRET] });
    const options = { now: at(1000) };
    expect(verifyStandardWebhook(headers, '{"code":3}', [SPEC_SECRET], options)).toEqual({ valid: false, reason: 'no v1 signature matches any secret' });
    expect(verifyStandardWebhook({ ...headers, 'webhook-id': 'job-2' }, '{"code":0}', [SPEC_SECRET], options)).toMatchObject({ valid: false });
    expect(verifyStandardWebhook({ ...headers, 'webhook-timestamp': '1001' }, '{"code":0}', [SPEC_SECRET], options)).toMatchObject({ valid: false });
    expect(verifyStandardWebhook({ ...headers, 'webhook-signature': 'v1,' }, '{"code":0}', [SPEC_SECRET], options)).toMatchObject({ valid: false });
    expect(verifyStandardWebhook({ 'webhook-id': 'job-1' }, '{"code":0}', [SPEC_SECRET], options)).toMatchObject({ valid: false, reason: /missing/ });
  });

  it('accepts timestamps within the tolerance only, both ways', () => {
    const headers = signStandardWebhook({ id: 'job-1', timestamp: 10_000, body: 'b', secrets: [SPEC_SECRET] });
    expect(verifyStandardWebhook(headers, 'b', [SPEC_SECRET], { now: at(10_300) })).toEqual({ valid: true });
    expect(verifyStandardWebhook(headers, 'b', [SPEC_SECRET], { now: at(9_700) })).toEqual({ valid: true });
    expect(verifyStandardWebhook(headers, 'b', [SPEC_SECRET], { now: at(10_301) })).toMatchObject({ valid: false, reason: /300 s/ });
    expect(verifyStandardWebhook(headers, 'b', [SPEC_SECRET], { now: at(9_699) })).toMatchObject({ valid: false });
    expect(verifyStandardWebhook(headers, 'b', [SPEC_SECRET], { now: at(10_500), toleranceS: 600 })).toEqual({ valid: true });
  });

  it('reads headers case-insensitively from records, arrays and fetch Headers', () => {
    const signed = signStandardWebhook({ id: 'job-1', timestamp: 1000, body: 'b', secrets: [SPEC_SECRET] });
    const shouting = { 'Webhook-Id': signed['webhook-id'], 'WEBHOOK-TIMESTAMP': [signed['webhook-timestamp']], 'webhook-signature': signed['webhook-signature'] };
    expect(verifyStandardWebhook(shouting, 'b', [SPEC_SECRET], { now: at(1000) })).toEqual({ valid: true });
    expect(verifyStandardWebhook(new Headers({ ...signed }), 'b', [SPEC_SECRET], { now: at(1000) })).toEqual({ valid: true });
  });

  it('refuses to sign without a secret, with a fractional timestamp or a blank id', () => {
    expect(() => signStandardWebhook({ id: 'a', timestamp: 1, body: '', secrets: [] })).toThrow(/at least one secret/);
    expect(() => signStandardWebhook({ id: 'a', timestamp: 1.5, body: '', secrets: ['s'] })).toThrow(/whole Unix seconds/);
    expect(() => signStandardWebhook({ id: 'a b', timestamp: 1, body: '', secrets: ['s'] })).toThrow(/whitespace/);
  });
});
