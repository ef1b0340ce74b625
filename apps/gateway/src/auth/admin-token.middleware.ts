import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/error.filter';

/** Realm in the challenge, so a browser opening Bull Board shows its login prompt. */
const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="fopflow"' };

/**
 * Guards operator pages (`/admin/queues`, `/v1/pools`, `/v1/instances`, `/v1/discovery`) with
 * the operator token: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
 * password and any user name. There is no open mode: without a token this refuses to start
 * (the gateway always has one, FOPFLOW_ADMIN_TOKEN or the one generated under the data dir).
 */
export function adminTokenMiddleware(token: string) {
  if (!token) throw new Error('the operator pages need an admin token: set FOPFLOW_ADMIN_TOKEN or let the gateway generate one');
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = presentedToken(req.headers.authorization);
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    const problem =
      presented === undefined
        ? 'admin pages need Authorization: Bearer <FOPFLOW_ADMIN_TOKEN>, or HTTP Basic with it as the password'
        : 'admin token does not match FOPFLOW_ADMIN_TOKEN';
    sendError(res, 401, problem, CHALLENGE);
  };
}

/** True when the request carries `token` (Bearer, or Basic password); false when no token is set. */
export function carriesAdminToken(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const presented = presentedToken(req.headers.authorization);
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/** The token of a Bearer header or the password of a Basic one; undefined for anything else. */
function presentedToken(authorization: string | undefined): string | undefined {
  const match = /^(Bearer|Basic) +(\S+) *$/i.exec(authorization ?? '');
  if (!match) return undefined;
  if (match[1].toLowerCase() === 'bearer') return match[2];
  const credentials = Buffer.from(match[2], 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon < 0 ? undefined : credentials.slice(colon + 1);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
