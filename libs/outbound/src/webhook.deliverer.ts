import { DEFAULT_MAX_RESPONSE_BYTES, guardedFetch } from './guarded-fetch.client';
import { OutboundBlockedError } from './outbound.errors';
import { MAX_RETRY_AFTER_MS } from './retry.schedule';
import type { OutboundGuard } from './ssrf.guard';

/** Per-attempt deadline by default, ms (the Standard Webhooks guidance is 15–30 s). */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000;
/** Characters of a refusing receiver's answer kept in `error`, enough to show its complaint. */
export const MAX_ERROR_BODY_CHARS = 200;

export interface WebhookDelivery {
  /** The receiver's URL (a job's notifyUrl). */
  url: string | URL;
  /** The exact bytes that were signed. */
  body: string | Buffer;
  /** Signature headers and the like; Content-Type defaults to application/json. */
  headers?: Record<string, string>;
  /** Deadline for this attempt, redirects included, ms; default 15000. */
  timeoutMs?: number;
}

export interface DeliveryOptions {
  /** Bytes of the receiver's answer read; default 64 KiB. */
  maxResponseBytes?: number;
  /** Clock for HTTP-date Retry-After values, ms; default Date.now. */
  now?: () => number;
}

/**
 * - `delivered`: a 2xx answer.
 * - `gone`: 410, the receiver asks never to be called again; stop.
 * - `retry`: anything else that reached or tried to reach the receiver: 5xx, 429, other 4xx (a
 *   receiver's misconfiguration, wrong route or auth, is often fixed within the retry window, and
 *   Standard Webhooks senders retry it too), 3xx without Location, timeouts, refused connections,
 *   DNS failures, redirect loops.
 * - `blocked`: the SSRF guard refused the URL or a redirect hop; that hop was never contacted and
 *   a retry would be refused the same way.
 */
export type DeliveryOutcome = 'delivered' | 'retry' | 'gone' | 'blocked';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** The receiver's Retry-After, ms, capped at 24 h; only on `retry`. */
  retryAfterMs?: number;
  /** What went wrong, for the job's log; never the request's query string. */
  error?: string;
  durationMs: number;
}

/**
 * One attempt to POST a signed webhook. Never throws for the receiver's sake: every failure is an
 * outcome, so the caller decides between done, retry later and give up.
 */
export async function deliver(delivery: WebhookDelivery, guard: OutboundGuard, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  const headers = { 'content-type': 'application/json', 'user-agent': 'Fopflow-Webhooks/1', ...lowerCaseKeys(delivery.headers ?? {}) };
  try {
    const answer = await guardedFetch(delivery.url, { method: 'POST', headers, body: delivery.body }, guard, {
      timeoutMs: delivery.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      // A moved receiver must still get the signed POST, not an empty GET.
      keepMethodOnRedirect: true,
    });
    const status = answer.status;
    if (status >= 200 && status < 300) return { outcome: 'delivered', status, durationMs: durationMs() };
    const error = `receiver answered ${status}${excerpt(answer.body)}`;
    if (status === 410) return { outcome: 'gone', status, error, durationMs: durationMs() };
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], options.now?.() ?? Date.now());
    return { outcome: 'retry', status, ...(retryAfterMs !== undefined && { retryAfterMs }), error, durationMs: durationMs() };
  } catch (error) {
    if (error instanceof OutboundBlockedError) return { outcome: 'blocked', error: error.message, durationMs: durationMs() };
    return { outcome: 'retry', error: describeError(error), durationMs: durationMs() };
  }
}

/**
 * Retry-After as ms from `nowMs`: delay-seconds or an HTTP date, capped at 24 h; undefined when
 * absent or unreadable (a garbled header must not stall the schedule).
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let delayMs: number;
  if (/^\d+$/.test(text)) {
    delayMs = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined; // an HTTP date always names a day or month
    delayMs = Math.max(0, at - nowMs);
  }
  return Math.min(delayMs, MAX_RETRY_AFTER_MS);
}

/**
 * What a queue consumer throws for a `retry` outcome: BullMQ keeps the message as the failed
 * reason, and webhookBackoffStrategy reads `retryAfterMs` from it.
 */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';

  constructor(readonly result: DeliveryResult) {
    super(`webhook ${result.outcome}: ${result.error ?? `status ${result.status}`}`);
  }

  /** The receiver's Retry-After, ms, if it sent one. */
  get retryAfterMs(): number | undefined {
    return this.result.retryAfterMs;
  }
}

function excerpt(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  if (!text) return '';
  return `: ${text.length > MAX_ERROR_BODY_CHARS ? `${text.slice(0, MAX_ERROR_BODY_CHARS)}…` : text}`;
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
