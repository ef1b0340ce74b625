import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { declaredStatus } from '@fopflow/errors';
import type { Response } from 'express';

/** The body of every error answer: the HTTP status and what was wrong. */
export interface ErrorBody {
  code: number;
  error: string;
}

/** Sends `{"code","error"}` with `Cache-Control: no-store`, as Qiniu does for failed fops. */
export function sendError(res: Response, code: number, error: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // An answer given before the request's body was read closes the connection: Node would
  // otherwise read (and throw away) the rest of the body to keep the connection alive.
  const unread = res.req !== undefined && !res.req.complete;
  res
    .status(code)
    .set({ 'Cache-Control': 'no-store', ...(unread && { Connection: 'close' }), ...headers })
    .json({ code, error } satisfies ErrorBody);
}

/**
 * Every error leaves the gateway as `{"code","error"}`. Errors of Fopflow's own classes carry their
 * status; anything else is a bug, logged in full and answered 500 without internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      sendError(res, exception.getStatus(), Array.isArray(message) ? message.join('; ') : String(message));
      return;
    }
    const status = declaredStatus(exception);
    if (status !== undefined) {
      // An error may carry headers of its answer, such as Retry-After.
      sendError(res, status, (exception as Error).message, (exception as { headers?: Record<string, string> }).headers);
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    sendError(res, 500, 'internal error');
  }
}

/** An error with the HTTP status it maps to. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
