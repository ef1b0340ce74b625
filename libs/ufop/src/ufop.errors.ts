/** A `ufop.yaml` that cannot be built from; the user must fix the file, so it maps to 400. */
export class UfopManifestError extends Error {
  /** HTTP status this error maps to: the upload is malformed. */
  readonly status = 400;

  constructor(
    message: string,
    /** 1-based line in ufop.yaml the problem is on, when the file got that far. */
    readonly line?: number,
    /** The manifest field at fault (`image`, `build_script[2]`, ...). */
    readonly field?: string,
  ) {
    super(line === undefined ? `ufop.yaml: ${message}` : `ufop.yaml line ${line}: ${message}`);
    this.name = 'UfopManifestError';
  }
}

/** A build request the builder refuses before Docker sees it (bad owner, name, version, archive). */
export class UfopRequestError extends Error {
  /** HTTP status this error maps to: the caller must change the request. */
  readonly status = 400;

  constructor(message: string) {
    super(message);
    this.name = 'UfopRequestError';
  }
}

/** The image build itself failed (a build_script line exited non-zero, or the engine refused). */
export class UfopBuildError extends Error {
  /** HTTP status this error maps to: the upload is well-formed but cannot be built as it is. */
  readonly status = 422;

  constructor(
    message: string,
    /** The last build log lines, so the user sees the failing command's own output. */
    readonly logTail: string[],
    /** Index into build_script of the line that failed, when the log shows one. */
    readonly scriptIndex?: number,
  ) {
    super(logTail.length ? `${message}\n--- build log (last ${logTail.length} lines) ---\n${logTail.join('\n')}` : message);
    this.name = 'UfopBuildError';
  }
}
