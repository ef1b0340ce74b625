import { AccessKey, AccessKeyStore, decodeUrlsafeBase64, qiniuSign, signaturesEqual } from '@fopflow/auth';
import { GatewayError } from '../http/error.filter';

/**
 * Qiniu's put policy: what an upload token allows and asks for. Field names and meanings are
 * Qiniu's, so tokens made by its SDKs (`rs.PutPolicy(...).uploadToken(mac)`) work unchanged.
 */
export interface PutPolicy {
  /** `bucket`, `bucket:key` (that key only, overwrite allowed) or, with isPrefixalScope, `bucket:prefix`. */
  scope: string;
  /** Unix seconds after which the token is refused. */
  deadline: number;
  isPrefixalScope?: number;
  /** Non-zero: the upload may only create, never overwrite (614 when the key exists). */
  insertOnly?: number;
  /** Key template with magic variables, used when the upload names no key (or always, with forceSaveKey). */
  saveKey?: string;
  forceSaveKey?: boolean;
  endUser?: string;
  returnUrl?: string;
  returnBody?: string;
  callbackUrl?: string;
  callbackHost?: string;
  callbackBody?: string;
  callbackBodyType?: string;
  callbackFetchKey?: number;
  persistentOps?: string;
  persistentNotifyUrl?: string;
  persistentPipeline?: string;
  persistentType?: number;
  /** Largest file, in bytes. */
  fsizeLimit?: number;
  /** Smallest file, in bytes. */
  fsizeMin?: number;
  /** `image/*;video/mp4` allows those; `!image/jpeg` allows all but those. */
  mimeLimit?: string;
  /** Non-zero: the stored mime type is sniffed from the bytes, not taken from the client. */
  detectMime?: number;
  deleteAfterDays?: number;
  fileType?: number;
}

/** A verified upload token: the key that signed it (the account the upload acts for) and its policy. */
export interface UploadGrant {
  key: AccessKey;
  policy: PutPolicy;
  bucket: string;
  /** The key named after `bucket:` in the scope, if any. */
  scopeKey?: string;
}

type FieldType = 'string' | 'number' | 'boolean';

/** Every field Qiniu documents, with its JSON type; anything else is refused by name. */
const POLICY_FIELDS: Record<keyof PutPolicy | 'expires' | 'transform' | 'fopTimeout' | 'persistentWorkflowTemplateID', FieldType> = {
  scope: 'string',
  deadline: 'number',
  isPrefixalScope: 'number',
  insertOnly: 'number',
  saveKey: 'string',
  forceSaveKey: 'boolean',
  endUser: 'string',
  returnUrl: 'string',
  returnBody: 'string',
  callbackUrl: 'string',
  callbackHost: 'string',
  callbackBody: 'string',
  callbackBodyType: 'string',
  callbackFetchKey: 'number',
  persistentOps: 'string',
  persistentNotifyUrl: 'string',
  persistentPipeline: 'string',
  persistentType: 'number',
  persistentWorkflowTemplateID: 'string',
  fsizeLimit: 'number',
  fsizeMin: 'number',
  mimeLimit: 'string',
  detectMime: 'number',
  deleteAfterDays: 'number',
  fileType: 'number',
  expires: 'number',
  transform: 'string',
  fopTimeout: 'number',
};

/** Fields Qiniu documents that Fopflow cannot honour: refused by name rather than silently ignored. */
const UNSUPPORTED_FIELDS = new Set(['persistentWorkflowTemplateID', 'transform', 'callbackFetchKey', 'deleteAfterDays']);

/** A Host header value: a host name or address, with an optional port. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Largest encoded policy a token may carry, in bytes: a policy is a few fields, not a payload. */
export const MAX_POLICY_BYTES = 16 * 1024;

/** Qiniu's answer to a token it cannot use. */
function badToken(why: string): GatewayError {
  return new GatewayError(401, `bad token: ${why}`);
}

/**
 * Verifies `<AK>:<sign>:<encoded policy>`: a configured key, its HMAC-SHA1 over the encoded
 * policy, a well-formed policy of known fields, and a deadline not passed at `nowS`.
 */
export function verifyUploadToken(token: string | undefined, keys: AccessKeyStore, nowS = Math.floor(Date.now() / 1000)): UploadGrant {
  if (!token) throw new GatewayError(401, 'token not specified');
  const parts = token.split(':');
  if (parts.length !== 3) throw badToken('expected <AccessKey>:<sign>:<encoded put policy>');
  const [accessKey, sign, encoded] = parts;
  if (encoded.length > MAX_POLICY_BYTES) throw badToken(`put policy is over ${MAX_POLICY_BYTES} bytes`);
  const key = keys.find(accessKey);
  if (!key) throw badToken(`unknown access key '${accessKey.slice(0, 64)}'`);
  if (!signaturesEqual(sign, qiniuSign(key.secretKey, encoded))) throw badToken('signature does not match the put policy');
  const policy = parsePutPolicy(encoded);
  if (policy.deadline < nowS) throw new GatewayError(401, `expired token: deadline ${policy.deadline} has passed`);
  const colon = policy.scope.indexOf(':');
  const bucket = colon < 0 ? policy.scope : policy.scope.slice(0, colon);
  if (!bucket) throw new GatewayError(400, 'invalid put policy: scope names no bucket');
  return { key, policy, bucket, ...(colon >= 0 && { scopeKey: policy.scope.slice(colon + 1) }) };
}

/** Decodes and checks the policy's JSON: 400 `invalid put policy` naming the field. */
export function parsePutPolicy(encoded: string): PutPolicy {
  const raw = decodeUrlsafeBase64(encoded);
  if (!raw) throw new GatewayError(400, 'invalid put policy: not URL-safe base64');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'invalid put policy: not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError(400, 'invalid put policy: not a JSON object');
  const fields = value as Record<string, unknown>;
  for (const [name, given] of Object.entries(fields)) {
    const type = (POLICY_FIELDS as Record<string, FieldType | undefined>)[name];
    if (!type) throw new GatewayError(400, `invalid put policy: unknown field '${name.slice(0, 64)}'`);
    if (UNSUPPORTED_FIELDS.has(name)) throw new GatewayError(400, `invalid put policy: ${name} is not supported`);
    // Qiniu's SDKs send forceSaveKey as a boolean; some hand-made policies use 0/1.
    const ok = typeof given === type || (type === 'boolean' && (given === 0 || given === 1));
    if (!ok) throw new GatewayError(400, `invalid put policy: ${name} must be a ${type}`);
    if (type === 'number' && (!Number.isFinite(given) || (given as number) < 0)) throw new GatewayError(400, `invalid put policy: ${name} must be a number ≥ 0`);
  }
  if (typeof fields.scope !== 'string' || !fields.scope) throw new GatewayError(400, 'invalid put policy: scope is required');
  if (typeof fields.deadline !== 'number') throw new GatewayError(400, 'invalid put policy: deadline is required');
  if (fields.callbackUrl && !fields.callbackBody) throw new GatewayError(400, 'invalid put policy: callbackUrl needs callbackBody');
  if (fields.forceSaveKey && !fields.saveKey) throw new GatewayError(400, 'invalid put policy: forceSaveKey needs saveKey');
  if (fields.returnUrl !== undefined) requireHttpUrl('returnUrl', fields.returnUrl as string);
  if (fields.callbackUrl !== undefined) for (const url of (fields.callbackUrl as string).split(';')) requireHttpUrl('callbackUrl', url.trim());
  if (fields.callbackHost !== undefined && !HOST_HEADER.test(fields.callbackHost as string)) {
    throw new GatewayError(400, `invalid put policy: callbackHost '${(fields.callbackHost as string).slice(0, 100)}' is not a host name with an optional port`);
  }
  const policy = fields as unknown as PutPolicy;
  if (policy.forceSaveKey !== undefined) policy.forceSaveKey = Boolean(policy.forceSaveKey);
  return policy;
}

/** 400 unless `url` is an absolute http(s) URL: refused before anything is stored, not after. */
function requireHttpUrl(field: string, url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new GatewayError(400, `invalid put policy: ${field} '${url.slice(0, 200)}' is not an http(s) URL`);
  }
}

/**
 * The key an upload stores under: the policy's saveKey when forced or when the uploader named
 * none (expanded by `expand`), else the uploader's key, else the scope's key, else the file hash.
 * Checked against the scope: 403 `key doesn't match with scope`.
 */
export function chooseKey(grant: UploadGrant, given: string | undefined, expand: (template: string) => string, hash: string): string {
  const { policy, scopeKey } = grant;
  let key: string;
  if (policy.saveKey && (policy.forceSaveKey || given === undefined)) key = expand(policy.saveKey);
  else if (given !== undefined) key = given;
  else if (scopeKey !== undefined && !policy.isPrefixalScope) key = scopeKey;
  else key = hash;
  if (scopeKey !== undefined) {
    const fits = policy.isPrefixalScope ? key.startsWith(scopeKey) : key === scopeKey;
    if (!fits) throw new GatewayError(403, `key doesn't match with scope: '${key.slice(0, 200)}' is outside '${policy.scope.slice(0, 200)}'`);
  }
  if (!key) throw new GatewayError(400, 'key is empty');
  return key;
}

/** True when `mime` passes the policy's mimeLimit (`image/*;video/mp4`, or `!…` to exclude). */
export function mimeAllowed(mimeLimit: string | undefined, mime: string): boolean {
  if (!mimeLimit) return true;
  const exclude = mimeLimit.startsWith('!');
  const patterns = (exclude ? mimeLimit.slice(1) : mimeLimit).split(';').map((item) => item.trim().toLowerCase()).filter(Boolean);
  const base = mime.split(';')[0].trim().toLowerCase();
  const matched = patterns.some((pattern) => (pattern.endsWith('/*') ? base.startsWith(pattern.slice(0, -1)) : base === pattern));
  return exclude ? !matched : matched;
}

/** True when the scope says a key (not just a bucket), so overwriting that key is allowed even with insertOnly unset. */
export function scopeNamesKey(grant: UploadGrant): boolean {
  return grant.scopeKey !== undefined && !grant.policy.isPrefixalScope;
}
