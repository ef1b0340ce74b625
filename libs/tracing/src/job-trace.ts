import { context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { NextFunction, Request, Response } from 'express';

/** The tracer every Fopflow span comes from. */
export const tracer = () => trace.getTracer('fopflow');

/** W3C trace context (traceparent, tracestate) as it travels in a job's data. */
export type TraceCarrier = Record<string, string>;

/** The current trace context, to put in the data of a job queued now; empty when nothing is traced. */
export function traceCarrier(): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length ? carrier : undefined;
}

/** Runs `work` with no spans at all: the platform's own upkeep (a warm-up) is no one's trace. */
export function untraced<T>(work: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(context.active()), work);
}

/** Runs `work` in a span named `name`, child of the current one; a thrown error marks it failed and is rethrown. */
export function inSpan<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, (span) => endedWith(span, work));
}

/** Ends `span` when `work` settles, failed with the error when it throws. */
async function endedWith<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The little of a BullMQ job tracing needs. */
export interface TraceableJob {
  id?: string;
  name: string;
  queueName: string;
  /** When the job was queued, ms since epoch (BullMQ sets it). */
  timestamp: number;
  data: { trace?: TraceCarrier };
}

/**
 * Runs a job's work as part of the trace that queued it: a `queue wait` span from the moment
 * it was queued until now, then a consumer span around the work, both children of the span in
 * the job's trace context. A job without one starts a trace of its own.
 */
export function inJobSpan<T>(job: TraceableJob, work: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), job.data.trace ?? {});
  return context.with(parent, () => {
    const attributes = { 'messaging.system': 'bullmq', 'messaging.destination.name': job.queueName, 'messaging.message.id': job.id ?? '' };
    const wait = tracer().startSpan('queue wait', { startTime: job.timestamp, attributes });
    wait.end();
    // Without a queuing trace the wait is the root, so the job's spans still make one trace.
    const base = trace.getSpan(parent) ? parent : trace.setSpan(parent, wait);
    return tracer().startActiveSpan(`process ${job.queueName}`, { kind: SpanKind.CONSUMER, attributes }, base, (span) => endedWith(span, work));
  });
}

/** Express middleware: a server span per request, active for everything the request does. */
export function httpTraceMiddleware(req: Request, res: Response, next: NextFunction): void {
  // An upstream caller's traceparent makes this request part of its trace.
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer().startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
  // One more listener than the other middlewares' (uploads already use Node's default ten).
  res.setMaxListeners(res.getMaxListeners() + 1);
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}
