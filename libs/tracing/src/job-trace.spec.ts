import type { AddressInfo } from 'node:net';
import express from 'express';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { httpTraceMiddleware, inJobSpan, inSpan, traceCarrier } from './job-trace';
import { startTracing, Tracing } from './tracing.setup';

describe('one trace from the HTTP request through the queue, the worker steps and the webhook', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;

  beforeAll(() => {
    tracing = startTracing('spec', exporter);
  });
  afterAll(() => tracing.shutdown());

  const named = (name: string): ReadableSpan => {
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
    if (!span) throw new Error(`no span '${name}' among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    return span;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('joins every span to the request that queued the job, across serialised job data', async () => {
    // The gateway side: a real HTTP request whose handler queues a job (here: JSON, as Redis stores it).
    const app = express();
    app.use(httpTraceMiddleware);
    app.get('/media/photo.jpg', (_req, res) => res.json({ data: { requestId: 'r1', trace: traceCarrier() } }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const queued = (await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/media/photo.jpg`)).json()) as { data: { trace: Record<string, string> } };
    await new Promise((resolve) => server.close(resolve));
    expect(queued.data.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The worker side: the fop job with its steps, then the webhook delivery job.
    const job = { id: 'j1', name: 'imageView2/2/w/64', queueName: 'fop.imageView2.paid', timestamp: Date.now() - 50, data: queued.data };
    await inJobSpan(job, () => inSpan('step imageView2', { 'fop.step.index': 0 }, async () => 'done'));
    const notify = { id: 'z0.1', name: 'notify', queueName: 'notify', timestamp: Date.now(), data: { trace: queued.data.trace } };
    await expect(inJobSpan(notify, async () => Promise.reject(new Error('receiver answered 500')))).rejects.toThrow('receiver answered 500');

    const http = named('GET /media/photo.jpg');
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBe(6);
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([http.spanContext().traceId]));
    expect(parentOf(http)).toBeUndefined();
    const wait = spans.filter((span) => span.name === 'queue wait');
    expect(wait.map(parentOf)).toEqual([http.spanContext().spanId, http.spanContext().spanId]);
    // The wait spans from the moment the job was queued.
    expect(wait[0].startTime[0] * 1000 + wait[0].startTime[1] / 1e6).toBeCloseTo(job.timestamp, -1);
    const processing = named('process fop.imageView2.paid');
    expect(parentOf(processing)).toBe(http.spanContext().spanId);
    expect(parentOf(named('step imageView2'))).toBe(processing.spanContext().spanId);
    const delivery = named('process notify');
    expect(parentOf(delivery)).toBe(http.spanContext().spanId);
    expect(delivery.status).toMatchObject({ code: 2, message: 'receiver answered 500' });
    expect(http.attributes['http.response.status_code']).toBe(200);
  });

  it('gives a job without trace context a trace of its own', async () => {
    exporter.reset();
    await inJobSpan({ name: 'x', queueName: 'fop.imageInfo.paid', timestamp: Date.now(), data: {} }, async () => undefined);
    const [wait, processing] = exporter.getFinishedSpans();
    expect(wait.spanContext().traceId).toBe(processing.spanContext().traceId);
    expect(wait.parentSpanContext).toBeUndefined();
    expect(processing.parentSpanContext?.spanId).toBe(wait.spanContext().spanId);
  });
});
