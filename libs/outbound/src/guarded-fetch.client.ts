import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { normalizeHost } from './address.policy';
import { OutboundBlockedError, OutboundRedirectError, OutboundTimeoutError } from './outbound.errors';
import type { CheckedTarget, OutboundGuard } from './ssrf.guard';

/** Redirects followed by default, each hop checked again. */
export const DEFAULT_MAX_REDIRECTS = 5;
/** Deadline of a whole exchange by default, ms. */
export const DEFAULT_OUTBOUND_TIMEOUT_MS = 15_000;
/** Response bytes kept by default: a webhook's answer is read for its status and a short text. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

export interface GuardedRequestInit {
  /** HTTP method; default GET. */
  method?: string;
  /** Request headers; a `Host` given here is ignored, it always names the URL's host. */
  headers?: Record<string, string>;
  /** Request body, sent with its Content-Length. */
  body?: string | Buffer;
}

export interface GuardedFetchOptions {
  /** Redirects followed, every hop re-checked by the guard; default 5. */
  maxRedirects?: number;
  /** Deadline for everything (DNS, connect, every hop, the body), ms; default 15000. */
  timeoutMs?: number;
  /** Response bytes kept; the rest is not read, the connection is closed and `truncated` set; default 64 KiB. */
  maxResponseBytes?: number;
  /**
   * Keep method and body on 301/302/303; default false (fetch's rules: 303, and 301/302 after a
   * POST, become a bodiless GET). A webhook sets it, or a moved receiver would get an empty GET.
   */
  keepMethodOnRedirect?: boolean;
  /** Extra CA certificates (PEM) trusted for https, e.g. an in-house receiver's private CA; default the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Host header of the first hop instead of the URL's (Qiniu's callbackHost). The connection still
   * goes only to the address the guard approved for the URL; redirects name their own host.
   */
  hostHeader?: string;
  /** Called right before each connection with the address approved for that hop: for logs and tests. */
  onConnect?: (hop: { url: URL } & CheckedTarget) => void;
}

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** At most maxResponseBytes of the body. */
  body: Buffer;
  /** True when the body was longer than maxResponseBytes and was cut. */
  truncated: boolean;
  /** The URL that answered, after redirects. */
  url: URL;
  /** The address that answered: the one the guard approved for the last hop. */
  address: string;
  redirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as fetch does: they were meant for the first receiver. */
const CROSS_ORIGIN_DROPPED_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * HTTP(S) request to a URL a user named. Each hop is checked by `guard` and the connection goes to
 * the very address the guard approved: the socket's lookup is replaced, so a DNS answer that
 * changes between check and connect (rebinding) cannot steer it. Redirects are followed here, not
 * by a library, so every Location is checked before it is contacted.
 */
export async function guardedFetch(
  input: string | URL,
  init: GuardedRequestInit,
  guard: OutboundGuard,
  options: GuardedFetchOptions = {},
): Promise<GuardedResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const deadline = Date.now() + timeoutMs;

  let url = parseUrl(input);
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  let headers = withoutHeaders(init.headers ?? {}, ['host']);

  for (let redirects = 0; ; redirects++) {
    const target = await beforeDeadline(guard.check(url), deadline, () => new OutboundTimeoutError(url, timeoutMs));
    options.onConnect?.({ url, ...target });
    const hopHeaders = redirects === 0 && options.hostHeader ? { ...headers, host: options.hostHeader } : headers;
    const answer = await requestOnce({ url, target, method, headers: hopHeaders, body, deadline, timeoutMs, maxResponseBytes, ca: options.ca });

    const location = REDIRECT_STATUSES.has(answer.status) ? answer.headers.location : undefined;
    if (location === undefined) return { ...answer, url, address: target.address, redirects };
    if (redirects >= maxRedirects) throw new OutboundRedirectError(url, `more than ${maxRedirects} redirects`);

    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new OutboundRedirectError(url, 'redirect Location is not a URL');
    }
    if (!options.keepMethodOnRedirect && becomesGet(answer.status, method)) {
      method = 'GET';
      body = undefined;
      headers = withoutHeaders(headers, ['content-type', 'content-length', 'content-encoding']);
    }
    if (next.origin !== url.origin) headers = withoutHeaders(headers, CROSS_ORIGIN_DROPPED_HEADERS);
    url = next;
  }
}

/** fetch's rule: 303 turns anything but HEAD into GET; 301/302 turn a POST into GET. */
function becomesGet(status: number, method: string): boolean {
  return (status === 303 && method !== 'HEAD' && method !== 'GET') || ((status === 301 || status === 302) && method === 'POST');
}

function parseUrl(input: string | URL): URL {
  try {
    return new URL(input.toString());
  } catch {
    // Never contacted and never will be: the same terminal refusal as an internal address.
    throw new OutboundBlockedError(String(input).slice(0, 200), 'not a valid absolute URL');
  }
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}

/** `work` or a timeout error at `deadline`, whichever comes first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface OneRequest {
  url: URL;
  target: CheckedTarget;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  deadline: number;
  timeoutMs: number;
  maxResponseBytes: number;
  ca: GuardedFetchOptions['ca'];
}

type RawAnswer = Pick<GuardedResponse, 'status' | 'headers' | 'body' | 'truncated'>;

/** One HTTP exchange with `target.address`, whatever DNS says about the host by now. */
function requestOnce(request: OneRequest): Promise<RawAnswer> {
  const { url, target, method, body, maxResponseBytes } = request;
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };

    // Node calls this instead of dns.lookup for a hostname (never for an IP literal, which the
    // guard checked as is). With autoSelectFamily it asks for `all`; both shapes get one address.
    const pinnedLookup = ((_host: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    }) as unknown as LookupFunction;

    const headers: Record<string, string> = { ...request.headers };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request({
      protocol: url.protocol,
      hostname: normalizeHost(url.hostname), // Node adds the brackets back in Host for IPv6
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      lookup: pinnedLookup,
      agent: false, // no pooled socket from an earlier hop or an earlier answer of the same name
      // Node's `ca` replaces the trusted roots; keep Mozilla's and add the operator's.
      ...(request.ca !== undefined && { ca: [...rootCertificates, ...[request.ca].flat()] }),
    });

    const timer = setTimeout(
      () => {
        settle(() => reject(new OutboundTimeoutError(url, request.timeoutMs)));
        req.destroy();
      },
      Math.max(0, request.deadline - Date.now()),
    );

    req.on('error', (error) => settle(() => reject(error)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        // A redirect's body is never read; close rather than drain what may be a large page.
        settle(() => resolve({ status, headers: res.headers, body: Buffer.alloc(0), truncated: false }));
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        const room = maxResponseBytes - size;
        if (chunk.length <= room) {
          chunks.push(chunk);
          size += chunk.length;
          return;
        }
        chunks.push(chunk.subarray(0, room));
        settle(() => resolve({ status, headers: res.headers, body: Buffer.concat(chunks), truncated: true }));
        res.destroy();
      });
      res.on('end', () => settle(() => resolve({ status, headers: res.headers, body: Buffer.concat(chunks), truncated: false })));
      res.on('error', (error) => settle(() => reject(error)));
    });
    req.end(body);
  });
}
