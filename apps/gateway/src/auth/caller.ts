import { AccessKey, AccessKeyStore, AuthError, verifyDownloadToken, verifyRequestSignature } from '@fopflow/auth';
import type { Request } from 'express';
import { GatewayError } from '../http/error.filter';
import { ANONYMOUS_TIER, RateLimitIdentity } from './rate-limits';

/**
 * Routes Qiniu's SDKs call (`/pfop/`, `/status/get/prefop`): they keep taking what the SDKs send.
 * Every other route is Fopflow's own REST API (`/v1/...`), so that is the default, whatever the
 * case or spelling Express would still route there.
 */
const QINIU_COMPATIBLE_ROUTES = /^\/(?:pfop|status\/get\/prefop)\/?(?:\?|$)/;

/**
 * The key pair that signed this management request (`Authorization: QBox|Qiniu <AK>:<sign>`);
 * throws GatewayError 401 naming what was wrong. `rawBody` is the body exactly as received. On
 * `/v1` routes the signature must bind the operation: QBox only for GET/HEAD, Qiniu with a
 * fresh X-Qiniu-Date. The Qiniu-compatible routes (`/pfop/`, `/status/get/prefop`) take what the
 * official SDKs send.
 */
export function authenticate(req: Request, rawBody: Buffer, keys: AccessKeyStore): AccessKey {
  const path = requestTarget(req);
  const operationBoundIn = QINIU_COMPATIBLE_ROUTES.test(path) ? undefined : '/v1 routes';
  return asGatewayError(() =>
    verifyRequestSignature({ method: req.method, path, host: req.headers.host ?? '', headers: req.headers, body: rawBody }, keys, { operationBoundIn }),
  );
}

/** The key pair behind a private download URL (`...e=<deadline>&token=<AK>:<sign>`); throws GatewayError 401. */
export function authenticateDownload(req: Request, keys: AccessKeyStore): AccessKey {
  return asGatewayError(() => verifyDownloadToken({ host: req.headers.host ?? '', path: requestTarget(req) }, keys));
}

/**
 * Who a request claims to be, for limits that must apply before the body is read and the
 * signature checked: the tier of a configured access key named in its Authorization header or
 * download token, else anonymous. Keyed by client address, so naming someone else's access key
 * never uses up their allowance. Per-key request rates belong after `authenticate`, keyed by the AK.
 */
export function claimedIdentity(req: Request, keys: AccessKeyStore): RateLimitIdentity {
  const named =
    /^(?:QBox|Qiniu) ([^:\s]+):/.exec(req.headers.authorization ?? '')?.[1] ?? /[?&]token=([^:&%]+)(?::|%3A)/i.exec(requestTarget(req))?.[1];
  const key = named === undefined ? undefined : keys.find(named);
  return { key: clientAddress(req), tier: key?.tier ?? ANONYMOUS_TIER };
}

/** Identity of an unsigned request for per-client rate limits: its address, in the anonymous tier. */
export function anonymousIdentity(req: Request): RateLimitIdentity {
  return { key: clientAddress(req), tier: ANONYMOUS_TIER };
}

/** `ip:<address>`; behind a proxy, Express's `trust proxy` setting decides which address that is. */
function clientAddress(req: Request): string {
  return `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

/** Path and query as sent. A proxy-style absolute target (`GET http://host/path`) is cut to its path. */
function requestTarget(req: Request): string {
  const target = req.originalUrl;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(target);
  if (!absolute) return target;
  const rest = target.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function asGatewayError<T>(verify: () => T): T {
  try {
    return verify();
  } catch (error) {
    if (error instanceof AuthError) throw new GatewayError(401, error.message);
    throw error;
  }
}
