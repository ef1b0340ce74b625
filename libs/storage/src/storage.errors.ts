/** Stable codes callers can switch on; the HTTP status travels with each one. */
export type StorageErrorCode =
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'InvalidBucketName'
  | 'InvalidKey'
  | 'EntityTooLarge'
  | 'BucketExists'
  | 'IncompleteBody'
  | 'InvalidRange'
  | 'StorageUnavailable';

/** Error with an HTTP status and a stable code, e.g. 404 'NoSuchBucket'. */
export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** Node's errno code of an fs error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when an fs error only means "that path is not there". */
export function isMissingPathError(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function noSuchBucket(bucket: string): StorageError {
  return new StorageError(404, 'NoSuchBucket', `no such bucket: ${bucket}`);
}

export function noSuchKey(bucket: string, key: string): StorageError {
  return new StorageError(404, 'NoSuchKey', `no such key in bucket ${bucket}: ${JSON.stringify(key)}`);
}
