/**
 * A job's failure travels as BullMQ's failedReason string. It is prefixed with the HTTP status it
 * maps to, so the gateway can answer the right code and Bull Board still shows readable text.
 */
const FAILURE_PATTERN = /^\[(\d{3})\] ([\s\S]*)$/;

/** Status used when a failure carries none: the worker failed in a way no input explains. */
export const UNEXPECTED_FAILURE_STATUS = 500;

/** `[415] source is not a supported image`. */
export function encodeFailure(status: number, message: string): string {
  return `[${status}] ${message}`;
}

/** Inverse of encodeFailure; reasons from elsewhere (stalls, crashes) map to 500. */
export function decodeFailure(reason: string | undefined): { status: number; error: string } {
  const match = FAILURE_PATTERN.exec(reason ?? '');
  if (match) return { status: Number(match[1]), error: match[2] };
  return { status: UNEXPECTED_FAILURE_STATUS, error: reason || 'job failed for an unknown reason' };
}

/** The HTTP status an error declares (`status` of 400–599, as Fopflow's error classes carry). */
export function declaredStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}
