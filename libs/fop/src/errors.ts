/** 400-class error naming the bad token; the only error parsePipeline throws for bad input. */
export class FopSyntaxError extends Error {
  override readonly name = 'FopSyntaxError';
  /** HTTP status this error maps to: the fop is malformed, so the client must change it. */
  readonly status = 400;

  /** `token` is the offending text as written; `stepIndex` is 1-based, absent for whole-fop errors. */
  constructor(
    message: string,
    readonly token?: string,
    readonly stepIndex?: number,
  ) {
    super(message);
  }
}
