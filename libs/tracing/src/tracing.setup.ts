import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** A started tracer provider: flush and stop it on the way out. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for one process (`service` names it in the traces). Spans are exported over
 * OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads it and its
 * companions itself); a test passes its own exporter (e.g. InMemorySpanExporter), exported at
 * once. Without either, nothing is set up and every span is a no-op.
 * The context manager and propagator are set either way, so trace context still travels.
 */
export function startTracing(service: string, exporter?: SpanExporter, env: NodeJS.ProcessEnv = process.env): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processor = exporter
    ? new SimpleSpanProcessor(exporter)
    : env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? new BatchSpanProcessor(new OTLPTraceExporter())
      : undefined;
  if (!processor) return { shutdown: async () => undefined };
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}
