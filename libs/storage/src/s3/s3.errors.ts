import { StorageError } from '../storage.errors';

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True when S3 answered that the key (or, for HEAD, anything) is not there. */
export function isS3NotFound(error: unknown): boolean {
  const sdk = error as SdkError | undefined;
  return sdk?.name === 'NoSuchKey' || sdk?.name === 'NotFound' || sdk?.$metadata?.httpStatusCode === 404;
}

/** True when S3 refused a range as outside the object. */
export function isS3InvalidRange(error: unknown): boolean {
  const sdk = error as SdkError | undefined;
  return sdk?.name === 'InvalidRange' || sdk?.$metadata?.httpStatusCode === 416;
}

/** True when a conditional write lost to an existing object (If-None-Match: *). */
export function isS3PreconditionFailed(error: unknown): boolean {
  const sdk = error as SdkError | undefined;
  return sdk?.name === 'PreconditionFailed' || sdk?.$metadata?.httpStatusCode === 412 || sdk?.$metadata?.httpStatusCode === 409;
}

/**
 * What callers see when the store itself fails: 503 naming S3, so a request answers "dependency
 * down" instead of 500. StorageErrors (the store's own verdicts) pass through unchanged.
 */
export function storeUnavailable(error: unknown, doing: string): Error {
  if (error instanceof StorageError) return error;
  const sdk = error as SdkError & Error;
  return new StorageError(503, 'StorageUnavailable', `S3 storage failed while ${doing}: ${sdk?.name ?? 'Error'}: ${sdk?.message ?? error}`);
}
