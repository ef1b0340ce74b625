import type { AccessKey, AccessKeyStore } from './access-keys';
import { qiniuSign, signaturesEqual } from './qiniu-sign';

/** A request that failed authentication; `status` makes the gateway answer 401. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly status = 401;
}

/** What a management signature covers, as the server received it. */
export interface SignedRequest {
  /** HTTP method, any case. */
  method: string;
  /** Request target as sent: path plus `?query`, raw (not decoded). */
  path: string;
  /** Host header as sent, with the port when the client sent one. */
  host: string;
  /** Request headers; names in any case (Node's lowercase ones are fine). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw body; empty when there is none. */
  body: Buffer;
}

/** `QBox` (v1: path and form body) or `Qiniu` (v2: method, host, content type, X-Qiniu-* headers too). */
export type SignatureScheme = 'QBox' | 'Qiniu';

export interface VerifyOptions {
  /** Clock for the X-Qiniu-Date check, ms since the epoch; default Date.now(). */
  nowMs?: number;
  /** Largest difference between X-Qiniu-Date and our clock, in seconds (default 900, as Qiniu). */
  maxClockSkewS?: number;
  /**
   * Set where a signature must not be replayable onto another operation (Fopflow's own REST
   * routes), to the name of that place for refusals (e.g. `/v1 routes`). `QBox`, which does not
   * sign the method, is then accepted only for GET and HEAD, and `Qiniu` needs a signed, fresh
   * X-Qiniu-Date. Unset (the Qiniu-compatible routes): both schemes exactly as the SDKs send them.
   */
  operationBoundIn?: string;
}

/** Methods that change nothing, so a `QBox` signature replayed with them cannot do more than read. */
export const SAFE_METHODS: readonly string[] = ['GET', 'HEAD'];

/** Qiniu refuses a signed X-Qiniu-Date more than 15 minutes away from its clock; so do we. */
export const DEFAULT_MAX_CLOCK_SKEW_S = 15 * 60;

const FORM = 'application/x-www-form-urlencoded';
const OCTET_STREAM = 'application/octet-stream';
const AUTHORIZATION = /^(\S+) ([^:\s]+):(\S+)$/;

/** Authorization header value (`QBox AK:sign` or `Qiniu AK:sign`) for `request`, as the official SDKs compute it. */
export function signRequest(request: SignedRequest, key: AccessKey, scheme: SignatureScheme = 'Qiniu'): string {
  const [canonical] = scheme === 'QBox' ? qboxSignedTexts(request) : qiniuSignedTexts(request);
  return `${scheme} ${key.accessKey}:${qiniuSign(key.secretKey, signedBytes(canonical, request.body))}`;
}

/**
 * Checks the request's `Authorization: QBox|Qiniu <AK>:<sign>` against `keys` and returns the
 * signer's key pair; throws AuthError naming what was wrong.
 */
export function verifyRequestSignature(request: SignedRequest, keys: AccessKeyStore, options: VerifyOptions = {}): AccessKey {
  const authorization = headerOf(request.headers, 'authorization');
  if (!authorization) throw new AuthError('missing Authorization header: sign the request as QBox <AccessKey>:<EncodedSign> or Qiniu <AccessKey>:<EncodedSign>');
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) throw new AuthError(`malformed Authorization header: expected '<QBox|Qiniu> <AccessKey>:<EncodedSign>'`);
  const [, scheme, accessKey, signature] = match;
  if (scheme !== 'QBox' && scheme !== 'Qiniu') throw new AuthError(`unknown Authorization scheme '${scheme.slice(0, 32)}': expected QBox or Qiniu`);
  const method = request.method.toUpperCase();
  if (options.operationBoundIn !== undefined && scheme === 'QBox' && !SAFE_METHODS.includes(method)) {
    // QBox covers path and query only: the same signature would authorize any method on the path.
    throw new AuthError(
      `QBox signatures are accepted only for GET and HEAD on ${options.operationBoundIn}: sign ${method.slice(0, 16)} with the Qiniu scheme and X-Qiniu-Date`,
    );
  }
  const key = keys.find(accessKey);
  if (!key) throw new AuthError(`unknown access key '${accessKey.slice(0, 128)}'`);

  const texts = scheme === 'QBox' ? qboxSignedTexts(request) : qiniuSignedTexts(request);
  // Every candidate is computed and compared in constant time; which ones exist depends only on public request data.
  const matched = texts.map((text) => signaturesEqual(signature, qiniuSign(key.secretKey, signedBytes(text, request.body)))).some(Boolean);
  if (!matched) {
    // Naming the signed text (never the signature) is what lets a client find its mistake.
    const [canonical] = texts;
    const signed = JSON.stringify(canonical.head.slice(0, 300)) + (canonical.withBody ? ' + body' : '');
    throw new AuthError(`${scheme} signature of access key '${accessKey}' does not match: expected HMAC-SHA1 of ${signed}`);
  }
  if (scheme === 'Qiniu') checkQiniuDate(request, options);
  return key;
}

/**
 * Headers our own clients add to a call: a fresh X-Qiniu-Date and the `Qiniu` signature that
 * covers it with the method, target, host, content type and body of `request`.
 */
export function qiniuAuthHeaders(request: SignedRequest, key: AccessKey, nowMs?: number): { Authorization: string; 'X-Qiniu-Date': string } {
  const date = formatQiniuDate(nowMs);
  const headers = { ...request.headers, 'x-qiniu-date': date };
  return { Authorization: signRequest({ ...request, headers }, key, 'Qiniu'), 'X-Qiniu-Date': date };
}

/** `X-Qiniu-Date` for `nowMs` (default now): `YYYYMMDDTHHmmssZ`, as the SDKs send it. */
export function formatQiniuDate(nowMs: number = Date.now()): string {
  return new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Texts a `QBox` signature may cover. Qiniu (and its Go SDK) sign the body only for form
 * posts, so for those it must be signed; for other bodies the Node SDK's habit of signing
 * whatever body it was given is accepted too, which binds the request more, never less.
 */
function qboxSignedTexts(request: SignedRequest): SignedText[] {
  const head = `${requestTarget(request.path)}\n`;
  const contentType = headerOf(request.headers, 'content-type');
  if (mediaTypeOf(contentType) === FORM) return [{ head, withBody: true }];
  return request.body.length ? [{ head, withBody: false }, { head, withBody: true }] : [{ head, withBody: false }];
}

/**
 * Texts a `Qiniu` (v2) signature may cover, following the SDKs' `generateAccessTokenV2` to the
 * byte: no Content-Type signs as the form type, and the body counts unless it is exactly
 * octet-stream. The Node SDK appends the port to a host that already has it
 * (`Host: h:8080:8080`); that form is accepted too so its requests to a non-default port verify.
 */
function qiniuSignedTexts(request: SignedRequest): SignedText[] {
  const contentType = headerOf(request.headers, 'content-type');
  const qiniuHeaders = qiniuHeaderLines(request.headers);
  const includeBody = request.body.length > 0 && contentType !== OCTET_STREAM;
  const port = /:(\d+)$/.exec(request.host)?.[1];
  const hosts = port ? [request.host, `${request.host}:${port}`] : [request.host];
  return hosts.map((host) => {
    let text = `${request.method.toUpperCase()} ${requestTarget(request.path)}\nHost: ${host}\nContent-Type: ${contentType || FORM}`;
    if (qiniuHeaders) text += `\n${qiniuHeaders}`;
    return { head: `${text}\n\n`, withBody: includeBody };
  });
}

/** Signed text before the body, and whether the body follows it. */
interface SignedText {
  head: string;
  withBody: boolean;
}

function signedBytes(text: SignedText, body: Buffer): Buffer {
  // Raw body bytes: the same as the SDK's string concatenation for UTF-8 bodies (forms, JSON).
  return text.withBody && body.length ? Buffer.concat([Buffer.from(text.head), body]) : Buffer.from(text.head);
}

/** The SDKs sign `pathname + search` of a WHATWG URL, whose search is empty for a bare trailing `?`. */
function requestTarget(path: string): string {
  return path.indexOf('?') === path.length - 1 ? path.slice(0, -1) : path;
}

/** `X-Qiniu-*` headers as the SDKs sign them: canonical names, sorted, one `Name: value` line each. */
function qiniuHeaderLines(headers: SignedRequest['headers']): string {
  const canonical = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    canonical.set(canonicalMimeHeaderKey(name), Array.isArray(value) ? value.join(', ') : value);
  }
  return [...canonical.keys()]
    .filter((name) => name.startsWith('X-Qiniu-') && name.length > 'X-Qiniu-'.length)
    .sort()
    .map((name) => `${name}: ${canonical.get(name)}`)
    .join('\n');
}

// The SDK's token table: RFC 7230 tchar, except that it lists `\` where the RFC has `'`.
const SDK_TOKEN_CHAR = /^[!#$%&\\*+\-.0-9A-Z^_`a-z|~]*$/;

/** `x-qiniu-foo` → `X-Qiniu-Foo`, left as is when it holds a non-token character (as the SDK does). */
export function canonicalMimeHeaderKey(name: string): string {
  if (!SDK_TOKEN_CHAR.test(name)) return name;
  return name
    .split('-')
    .map((part) => part.slice(0, 1).toUpperCase() + part.slice(1).toLowerCase())
    .join('-');
}

/**
 * A signed X-Qiniu-Date (`20240102T030405Z`, sent by the SDK by default) must be near our clock:
 * it stops replays. Where signatures are operation-bound it must be there at all.
 */
function checkQiniuDate(request: SignedRequest, options: VerifyOptions): void {
  const value = headerOf(request.headers, 'x-qiniu-date');
  const maxSkewS = options.maxClockSkewS ?? DEFAULT_MAX_CLOCK_SKEW_S;
  if (value === undefined) {
    if (options.operationBoundIn === undefined) return;
    throw new AuthError(
      `Qiniu signatures on ${options.operationBoundIn} need a signed X-Qiniu-Date header (YYYYMMDDTHHmmssZ, within ${maxSkewS} s of the server clock)`,
    );
  }
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  if (!match) throw new AuthError(`malformed X-Qiniu-Date '${value.slice(0, 40)}': expected YYYYMMDDTHHmmssZ`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const sentMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const skewS = Math.abs((options.nowMs ?? Date.now()) - sentMs) / 1000;
  if (!(skewS <= maxSkewS)) {
    throw new AuthError(`X-Qiniu-Date ${value} is ${Math.round(skewS)} s away from the server clock; at most ${maxSkewS} s is allowed`);
  }
}

function headerOf(headers: SignedRequest['headers'], lowerName: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === lowerName && value !== undefined) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase();
}
