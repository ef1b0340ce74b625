import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { withLogContext } from './log-context';

/** The header a caller may name its request by; the gateway echoes it (or the one it made). */
export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Longest caller-given request id honoured, in characters; longer ones are replaced. */
export const MAX_REQUEST_ID_LENGTH = 128;

// Ids end up in logs, job data and headers: only characters that are inert in all three.
const SANE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._:@/+=-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** The caller's request id when it is sane, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Express middleware: names the request (req.id, for pino-http), echoes the id in the answer
 * and runs the rest of the request inside its log context.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER.toLowerCase()]);
  (req as Request & { id: string }).id = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  withLogContext({ requestId }, next);
}
