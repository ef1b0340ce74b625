import { type ObjectRef, decodeBase64Text, encodeBase64Text } from './encoded.params';
import { formatEncodedObjectRef, parseEncodedObjectRef } from './object-ref.params';
import { StepAt, quoteToken, stepError } from './params';

/** A mark image on another site: fetched by the worker through the outbound guard, never a stored object. */
export interface OutsideUrl {
  /** The whole URL, normalised (WHATWG form, fragment dropped): what is fetched and what the cache key keeps. */
  url: string;
}

/** Where a mark image (watermark `image`, avthumb `wmImage`) comes from. */
export type MarkSource = ObjectRef | OutsideUrl;

/** Says whether a URL's host is the platform's own, so the URL names one of its stored objects. */
export type OwnHostRule = (url: URL) => boolean;

/** The grammar alone knows no hosts: every URL names a stored object, as before outside marks existed. */
export const everyHostIsOwn: OwnHostRule = () => true;

/**
 * For a pipeline the gateway already normalised (a job's): its own-host marks are `<bucket>:<key>`
 * there, so every URL left in it is an outside mark.
 */
export const noHostIsOwn: OwnHostRule = () => false;

/** Longest mark URL, in characters (the same bound as an object URL). */
const maxMarkUrlChars = 2048;
const schemePrefix = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isOutsideUrl(source: MarkSource): source is OutsideUrl {
  return 'url' in source;
}

/**
 * Hosts that are this platform's own: the host of its public URL. The port must match too
 * (another service on the same machine is outside), except that the default ports 80 and 443
 * both count, so `http://` and `https://` of a public host are both own.
 */
export function ownHostOf(publicUrl: string): OwnHostRule {
  const own = new URL(publicUrl);
  const ownPort = effectivePort(own);
  return (url) => url.hostname === own.hostname && (effectivePort(url) === ownPort || (isDefaultPort(url) && isDefaultPort(own)));
}

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function isDefaultPort(url: URL): boolean {
  return url.port === '';
}

/**
 * Parses a mark's URL-safe base64 text: `<bucket>:<key>`, or a URL on an own host (`/<bucket>/<key>`),
 * names a stored object, decided for read access like any other; any other http(s) URL is an
 * outside mark, kept whole so two sites' `/<bucket>/<key>` never share one canonical text.
 */
export function parseEncodedMarkSource(at: StepAt, label: string, token: string, isOwnHost: OwnHostRule): MarkSource {
  const text = decodeBase64Text(at, label, token, 'a stored object (<bucket>:<key>) or an http(s) URL', maxMarkUrlChars);
  if (!schemePrefix.test(text)) return parseEncodedObjectRef(at, label, token);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw stepError(at, `${label} is not a valid URL, got ${quoteToken(token)}`, token);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw stepError(at, `${label} must be an http or https URL or <bucket>:<key>, got ${quoteToken(token)}`, token);
  }
  // Credentials in a URL end up in logs and cache keys, and the outbound guard refuses them; refused
  // on every host, so a job's text parses alike whichever host rule reads it.
  if (url.username !== '' || url.password !== '') {
    throw stepError(at, `${label} must not carry credentials (user:password@), got ${quoteToken(token)}`, token);
  }
  if (isOwnHost(url)) return parseEncodedObjectRef(at, label, token);
  url.hash = '';
  return { url: url.href };
}

/** Canonical token of a mark: `<bucket>:<key>` for a stored object, the whole URL for an outside one. */
export function formatEncodedMarkSource(source: MarkSource): string {
  return isOutsideUrl(source) ? encodeBase64Text(source.url) : formatEncodedObjectRef(source);
}
