/** A source or result the media adapters refuse, with the HTTP status it maps to. */
export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly status: 400 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}
