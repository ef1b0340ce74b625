/** Stable codes of the failures the platform raises itself (beside storage's and the grammar's own). */
export type FopErrorCode = 'SourceTooLarge' | 'CommandNotRunHere' | 'ObjectSetKeys' | 'ObjectSetNeedsTarget';

/**
 * A failure that knows its HTTP status and a stable code: the worker records `[status] message`,
 * the gateway answers it as `{"code","error"}`.
 */
export class FopError extends Error {
  override readonly name = 'FopError';

  constructor(
    readonly status: number,
    readonly code: FopErrorCode,
    message: string,
  ) {
    super(message);
  }
}
