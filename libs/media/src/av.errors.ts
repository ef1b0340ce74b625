import { MediaError } from './media.errors';

/**
 * ffmpeg ran past AvLimits.ffmpegTimeLimitMs and was killed. Status 422, not 504: the same source
 * would run out of time again, so a retry cannot help (the worker treats < 500 as unrecoverable),
 * and 504 already means "the sync wait is over, the job goes on" at the gateway.
 */
export class AvTimeLimitError extends MediaError {
  constructor(readonly limitMs: number) {
    super(422, `ffmpeg ran longer than ffmpegTimeLimitMs (${limitMs} ms) and was stopped`);
  }
}

/**
 * The step was cancelled through its AbortSignal; ffmpeg was killed and its partial output removed.
 * Status 499 (nginx's "client closed request"): below 500, so it is never retried.
 */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  readonly status = 499;

  constructor(message = 'cancelled; ffmpeg was stopped and its partial output removed') {
    super(message);
  }
}

/** Throws CancelledError when `signal` is aborted: the steps' one way of saying "cancelled". */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('cancelled before it started');
}
