import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com) signatures, as Fopflow sends them with every notify.
 *
 * Secrets: `whsec_<base64>` is base64-decoded after the prefix, as the spec and its libraries do;
 * any other string is used as its raw UTF-8 bytes. The reference libraries base64-decode a secret
 * even without the prefix, so Fopflow issues secrets in the `whsec_` form (generateWebhookSecret)
 * and a receiver using those libraries must be given that form, prefix included.
 */

/** Prefix of a base64-encoded secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Default allowed distance between the signed timestamp and the receiver's clock, seconds. */
export const DEFAULT_WEBHOOK_TOLERANCE_S = 300;

export interface StandardWebhookInput {
  /** Message id: the same on every retry, so receivers can use it as their idempotency key. */
  id: string;
  /** Unix time of this attempt, seconds. */
  timestamp: number;
  /** The exact bytes sent as the request body. */
  body: string | Buffer;
  /** One signature per secret, in this order: several during a key rotation. */
  secrets: readonly string[];
}

/** A type alias, not an interface, so it passes where a plain header record is expected. */
export type StandardWebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** Header bags a receiver may hold: Node's IncomingHttpHeaders, a plain record or a fetch Headers. */
export type HeaderSource = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export interface StandardWebhookVerifyOptions {
  /** Allowed clock distance in seconds, both ways; default 300. */
  toleranceS?: number;
  /** The receiver's clock; default the current time. */
  now?: Date;
}

export type WebhookVerification = { valid: true } | { valid: false; reason: string };

/** Key bytes of a secret: `whsec_<base64>` decoded, anything else as UTF-8. Throws on bad base64 after the prefix. */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  // Buffer.from(…, 'base64') skips junk silently; a mistyped secret must fail loudly instead.
  if (encoded === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`webhook secret '${WEBHOOK_SECRET_PREFIX}…' is not valid base64 after its prefix`);
  }
  return Buffer.from(encoded, 'base64');
}

/** A fresh `whsec_` secret of 32 random bytes (the spec asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` for one key. */
function signatureV1(key: Buffer, id: string, timestamp: string, body: string | Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of a Standard Webhooks delivery; one `v1,` signature per secret, space-separated. */
export function signStandardWebhook(input: StandardWebhookInput): StandardWebhookHeaders {
  if (input.secrets.length === 0) throw new Error('signStandardWebhook needs at least one secret');
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new Error(`webhook timestamp must be whole Unix seconds, got ${input.timestamp}`);
  }
  // Headers cannot carry line breaks, and an empty id gives receivers nothing to deduplicate on.
  if (!/^\S+$/.test(input.id)) throw new Error(`webhook id must be non-empty without whitespace, got '${input.id}'`);
  const timestamp = String(input.timestamp);
  const signatures = input.secrets.map((secret) => signatureV1(webhookSecretKey(secret), input.id, timestamp, input.body));
  return { 'webhook-id': input.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

/**
 * Checks a delivery as a receiver would: the timestamp within `toleranceS` of `now`, and at least
 * one `v1` signature made with one of `secrets` (compared in constant time).
 */
export function verifyStandardWebhook(
  headers: HeaderSource,
  body: string | Buffer,
  secrets: readonly string[],
  options: StandardWebhookVerifyOptions = {},
): WebhookVerification {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return { valid: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d{1,15}$/.test(timestamp)) return { valid: false, reason: 'webhook-timestamp is not Unix seconds' };

  const toleranceS = options.toleranceS ?? DEFAULT_WEBHOOK_TOLERANCE_S;
  const nowS = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) {
    return { valid: false, reason: `webhook-timestamp is more than ${toleranceS} s away from now` };
  }

  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(signatureV1(webhookSecretKey(secret), id, timestamp, body).slice(3), 'base64');
    // Every pair is compared, no early exit on the first mismatch, so timing says nothing useful.
    let matched = false;
    for (const candidate of given) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
    if (matched) return { valid: true };
  }
  return { valid: false, reason: 'no v1 signature matches any secret' };
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}
