import type { NextFunction, Request, Response } from 'express';

/** How long a browser may keep a result or object of a private bucket, in seconds (shared caches never may). */
export const PRIVATE_MAX_AGE_S = 3600;

/** How long clients and CDNs may keep a processed result of a public bucket: it is immutable for its source version. */
export const PUBLIC_RESULT_MAX_AGE_S = 365 * 24 * 3600;

/**
 * Media types a browser only displays and never runs. Stored objects share the API's origin (and
 * Bull Board's), so anything else — HTML, SVG, XML, JavaScript, PDF, and every type not listed
 * here — could act with that origin if rendered in place.
 */
const PASSIVE_TYPES = new Set(['text/plain', 'text/csv', 'application/json', 'application/octet-stream']);
/** Whole families of passive types; `image/svg+xml` is the one active image and is excluded below. */
const PASSIVE_FAMILIES = ['image/', 'audio/', 'video/', 'font/'];

/** True for a media type a browser could execute or render as a document (see PASSIVE_TYPES). */
export function isActiveContent(mime: string): boolean {
  const type = mime.split(';')[0].trim().toLowerCase();
  if (type.endsWith('+xml') || type.endsWith('/xml')) return true;
  return !PASSIVE_TYPES.has(type) && !PASSIVE_FAMILIES.some((family) => type.startsWith(family));
}

/**
 * Headers that keep served bytes inert. The one rule: an active type (isActiveContent) is sent
 * as a download (`Content-Disposition: attachment`) *and* under `Content-Security-Policy: sandbox`,
 * so a browser that opens it anyway runs it in an opaque origin with no scripts. `<img>` and
 * `<video>` ignore both headers, so embedding keeps working. Passive types get neither.
 */
export function inertContentHeaders(mime: string): Record<string, string> {
  if (!isActiveContent(mime)) return {};
  return { 'Content-Disposition': 'attachment', 'Content-Security-Policy': "sandbox; default-src 'none'" };
}

/**
 * True when a request carried credentials: a download token in its query or an Authorization
 * header. Bytes of a private bucket are only ever served to such requests, so answering them
 * `Cache-Control: private` keeps private content out of shared caches without a bucket lookup
 * (a credentialed read of a public bucket is merely not shared, as RFC 9111 §3.5 expects anyway).
 */
export function carriesCredentials(req: Request): boolean {
  return req.headers.authorization !== undefined || /[?&]token=/.test(req.originalUrl);
}

/** Cache-Control of a fop result: shared and immutable for public sources, browser-only otherwise. */
export function resultCacheControl(req: Request, privateBucket: boolean): string {
  return privateBucket || carriesCredentials(req) ? `private, max-age=${PRIVATE_MAX_AGE_S}` : `public, max-age=${PUBLIC_RESULT_MAX_AGE_S}, immutable`;
}

/** Cache-Control of a raw object, or undefined to leave caching to ETag revalidation (public objects may change). */
export function objectCacheControl(req: Request, privateBucket: boolean): string | undefined {
  return privateBucket || carriesCredentials(req) ? `private, max-age=${PRIVATE_MAX_AGE_S}` : undefined;
}

/**
 * Sets `X-Content-Type-Options: nosniff` on every answer of the gateway (objects, results,
 * errors, Bull Board): a browser must take the declared type, never guess an active one.
 */
export function noSniffMiddleware(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
}
