import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/error.filter';

/** How long a browser may reuse a preflight answer, in seconds. */
export const UPLOAD_PREFLIGHT_MAX_AGE_S = 86_400;

/** True for Qiniu's upload routes: the form upload `POST /` and the resumable v2 routes. */
export function isUploadRoute(path: string): boolean {
  return path === '/' || path.startsWith('/buckets/');
}

/**
 * CORS for browser uploads: answers `OPTIONS` preflights of the upload routes and marks their
 * answers readable by allowed origins. The upload token is the credential (never a cookie), so
 * no `Allow-Credentials` is sent; `origins` may be `['*']`.
 */
export function uploadCorsMiddleware(origins: readonly string[]) {
  const any = origins.includes('*');
  const allowed = new Set(origins.map((origin) => origin.replace(/\/$/, '').toLowerCase()));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isUploadRoute(req.path)) return next();
    const origin = req.headers.origin;
    const permitted = origin !== undefined && (any || allowed.has(origin.toLowerCase()));
    if (permitted) {
      res.set({ 'Access-Control-Allow-Origin': any ? '*' : origin, 'Access-Control-Expose-Headers': 'X-Reqid, Content-Length' });
      if (!any) res.vary('Origin');
    }
    if (req.method !== 'OPTIONS') return next();
    if (!permitted) return sendError(res, 403, `origin '${String(origin ?? '').slice(0, 200)}' may not upload here (FOPFLOW_UPLOAD_CORS_ORIGINS)`);
    const asked = req.headers['access-control-request-headers'];
    res
      .status(204)
      .set({
        'Access-Control-Allow-Methods': 'POST, PUT, GET, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': typeof asked === 'string' && /^[\w\-, ]*$/.test(asked) ? asked : 'Authorization, Content-Type, Content-MD5',
        'Access-Control-Max-Age': String(UPLOAD_PREFLIGHT_MAX_AGE_S),
      })
      .end();
  };
}
