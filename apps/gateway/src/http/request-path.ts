import type { Request } from 'express';
import { GatewayError } from './error.filter';

/**
 * Bucket and key of a request path `<prefix>/<bucket>/<key...>`, percent-decoded. Read from the
 * raw path rather than router params so that keys keep every `/` and escaped character.
 */
export function bucketAndKey(req: Request, prefix = ''): { bucket: string; key: string } {
  const path = req.path.slice(prefix.length);
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!match) throw new GatewayError(404, `no object at '${req.path}': expected /<bucket>/<key>`);
  return { bucket: decode(match[1]), key: decode(match[2]) };
}

/**
 * The fop part of a query string: everything before the first `&`, percent-decoded, when it is
 * not a `name=value` parameter. `?imageView2/2/w/320&e=...` holds the fop `imageView2/2/w/320`.
 */
export function fopOf(req: Request): string | undefined {
  const queryStart = req.originalUrl.indexOf('?');
  if (queryStart < 0) return undefined;
  const first = req.originalUrl.slice(queryStart + 1).split('&')[0];
  if (!first || /^[A-Za-z0-9_-]+=/.test(first)) return undefined;
  return decode(first);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new GatewayError(400, `malformed percent-encoding in '${text.slice(0, 200)}'`);
  }
}
