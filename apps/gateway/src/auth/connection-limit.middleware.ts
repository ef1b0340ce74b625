import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/error.filter';
import { RateLimitedError, RateLimitIdentity, RateLimits } from './rate-limits';

/**
 * Caps the requests a client has in flight in this gateway (`concurrentConnections` of its
 * tier): over the cap answers 429 with Retry-After before any work is done. The slot is given
 * back when the response ends or the client goes away, whichever comes first.
 */
export function connectionLimitMiddleware(limits: RateLimits, identify: (req: Request) => RateLimitIdentity) {
  return (req: Request, res: Response, next: NextFunction): void => {
    let release: () => void;
    try {
      release = limits.acquireConnection(identify(req));
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      sendRateLimited(res, error);
      return;
    }
    res.once('close', release);
    next();
  };
}

/** Answers a RateLimitedError: 429 `{"code","error"}` with its Retry-After. */
export function sendRateLimited(res: Response, error: RateLimitedError): void {
  sendError(res, error.status, error.message, error.headers);
}
