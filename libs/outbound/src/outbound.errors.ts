/**
 * The request was refused before any connection was made: the URL names something Fopflow must
 * not reach (an internal address, a non-http scheme, embedded credentials). Retrying cannot help.
 */
export class OutboundBlockedError extends Error {
  override readonly name = 'OutboundBlockedError';
  /** HTTP status this error maps to: the caller gave a URL it must change. */
  readonly status = 400;

  /** `host` as written in the URL; `address` is the resolved address that failed, when one did. */
  constructor(
    readonly host: string,
    readonly reason: string,
    readonly address?: string,
  ) {
    super(
      address === undefined || address === host
        ? `outbound request to '${host}' blocked: ${reason}`
        : `outbound request to '${host}' blocked: it resolves to ${address}, ${reason}`,
    );
  }
}

/** The exchange (DNS, connect, every redirect hop, response body) did not finish within its deadline. */
export class OutboundTimeoutError extends Error {
  override readonly name = 'OutboundTimeoutError';
  readonly code = 'ETIMEDOUT';

  /** `url` is shown without its query, which may carry the receiver's token. */
  constructor(
    url: URL,
    readonly timeoutMs: number,
  ) {
    super(`outbound request to ${describeUrl(url)} timed out after ${timeoutMs} ms`);
  }
}

/** A redirect could not be followed: too many hops, or a Location that is not a URL. */
export class OutboundRedirectError extends Error {
  override readonly name = 'OutboundRedirectError';

  constructor(url: URL, message: string) {
    super(`outbound request to ${describeUrl(url)}: ${message}`);
  }
}

/** A bad FOPFLOW_ALLOWED_TARGETS entry: found at start-up, so the process stops naming it. */
export class OutboundConfigError extends Error {
  override readonly name = 'OutboundConfigError';
}

/** Origin and path only: queries and userinfo often hold the receiver's secrets and end up in logs. */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
