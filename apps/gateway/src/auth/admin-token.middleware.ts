import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/error.filter';

/** Realm in the challenge, so a browser opening Bull Board shows its login prompt. */
const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="fopflow"' };

/**
 * Guards operator pages (`/admin/queues`, later `/v1/pools`, `/v1/instances`) with
 * FOPFLOW_ADMIN_TOKEN: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
 * password and any user name. Without a token configured, the pages are open.
 */
export function adminTokenMiddleware(token: string | undefined) {
  if (!token) return (_req: Request, _res: Response, next: NextFunction): void => next();
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
