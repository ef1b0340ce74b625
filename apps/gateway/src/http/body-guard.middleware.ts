import { AccessKeyStore } from '@fopflow/auth';
import type { NextFunction, Request, Response } from 'express';
import { carriesAdminToken } from '../auth/admin-token.middleware';
import { sendError } from './error.filter';
import { MAX_FORM_OVERHEAD_BYTES } from '../upload/upload.limits';

/** What the body guard needs to know of the configuration. */
export interface BodyGuardOptions {
  /** Access keys whose names an Authorization header may carry. */
  keys: AccessKeyStore;
  /** FOPFLOW_ADMIN_TOKEN (the gateway always has one: configured or generated). */
  adminToken: string;
  /** Largest body of a signed API call, in bytes. */
  maxSignedBodyBytes: number;
  /** Largest body of a batch submission, in bytes. */
  maxBatchBodyBytes: number;
  /** Largest object upload, in bytes. */
  maxUploadBytes: number;
  /** Largest UFOP build tarball, in bytes. */
  maxUfopUploadBytes: number;
}

/** What a route accepts as a body: its largest size, and whether a credential must come first. */
export interface BodyRule {
  /** Largest body, in bytes; named in the refusal. */
  maxBytes: number;
  /** Name of the limit, as the refusal states it. */
  limitName: string;
  /** True when the caller must name a credential before a byte of the body is read. */
  credentials: boolean;
}

/** The limit of each request's body, as the guard decided it; readRawBody reads no further. */
const decidedLimits = new WeakMap<Request, number>();

/** The largest body `req` may have, when the body guard has seen it. */
export function bodyLimitOf(req: Request): number | undefined {
  return decidedLimits.get(req);
}

/** The rule for a request's body, by its method and path. */
export function bodyRule(method: string, path: string, options: BodyGuardOptions): BodyRule {
  const guarded = /^\/(?:v1|pfop|admin)(?:\/|$)/.test(path);
  // There is no open mode: every guarded body needs a caller first.
  const credentials = guarded;
  if (method === 'PUT' && path.startsWith('/v1/objects/')) return { maxBytes: options.maxUploadBytes, limitName: 'maxUploadBytes', credentials };
  // Qiniu's upload routes carry their credential (the upload token) inside the body or a header checked by the route.
  if (method === 'POST' && path === '/') return { maxBytes: options.maxUploadBytes + MAX_FORM_OVERHEAD_BYTES, limitName: 'maxUploadBytes', credentials };
  if (path.startsWith('/buckets/')) return { maxBytes: options.maxUploadBytes, limitName: 'maxUploadBytes', credentials };
  if (method === 'POST' && /^\/v1\/ufops\/[^/]+\/builds\/?$/.test(path)) {
    return { maxBytes: options.maxUfopUploadBytes, limitName: 'MAX_UFOP_UPLOAD_BYTES', credentials };
  }
  if (method === 'POST' && /^\/v1\/jobs\/batch\/?$/.test(path)) return { maxBytes: options.maxBatchBodyBytes, limitName: 'maxBatchBodyBytes', credentials };
  return { maxBytes: options.maxSignedBodyBytes, limitName: 'maxSignedBodyBytes', credentials };
}

/**
 * Refuses a request body before reading it: a body-carrying call to the API (/v1/, /pfop, /admin)
 * must first present a credential that could pass (the admin token, or a QBox/Qiniu signature
 * naming a configured access key), and a declared Content-Length must be within the route's
 * limit. The signature itself covers the body, so it is checked once the (bounded) body is read.
 * Refusals close the connection, so the unread body is never pulled off the wire.
 */
export function bodyGuardMiddleware(options: BodyGuardOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!carriesBody(req)) {
      next();
      return;
    }
    const rule = bodyRule(req.method, req.path, options);
    decidedLimits.set(req, rule.maxBytes);
    const problem = rule.credentials ? credentialProblem(req, options) : undefined;
    if (problem) {
      sendError(res, 401, problem, { Connection: 'close' });
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > rule.maxBytes) {
      sendError(res, 413, `body of ${declared} bytes is over ${rule.limitName} ${rule.maxBytes}`, { Connection: 'close' });
      return;
    }
    next();
  };
}

/** True when the request has a body to read (declared length above 0, or chunked). */
function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const declared = Number(req.headers['content-length'] ?? 0);
  return !Number.isFinite(declared) || declared > 0;
}

/** Why the request's credential cannot pass, or undefined when it may (its signature is checked later). */
function credentialProblem(req: Request, options: BodyGuardOptions): string | undefined {
  const authorization = req.headers.authorization;
  if (!authorization) return 'this call needs Authorization: QBox|Qiniu <AccessKey>:<sign> (or the admin token) before its body is read';
  if (carriesAdminToken(req, options.adminToken)) return undefined;
  const named = /^(?:QBox|Qiniu) ([^:\s]+):\S+$/.exec(authorization.trim())?.[1];
  if (named === undefined) return 'Authorization is malformed: expected QBox|Qiniu <AccessKey>:<sign>';
  if (!options.keys.find(named)) return `unknown access key '${named.slice(0, 64)}'`;
  return undefined;
}
