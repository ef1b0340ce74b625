import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';
import { Receiver, startReceiver } from '../support/receiver';

const AK = 'ak-traces';
const SK = 'sk-traces-secret';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP (JSON) collector on loopback that keeps every span the platform exports. */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service'>> }> }>;
      };
      for (const resource of body.resourceSpans) {
        const service = resource.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('traces: one trace per request, across gateway, queue, worker steps and webhook', () => {
  let platform: Platform;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let receiver: Receiver;
  let client: ApiClient;

  beforeAll(async () => {
    collector = await startCollector();
    receiver = await startReceiver();
    platform = await startPlatform({
      FOPFLOW_KEYS: `${AK}:${SK}:paid`,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('traced/photo.jpg', await makeJpeg(320, 240))).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
    await collector?.close();
  });

  const traceOf = (root: ExportedSpan) => collector.spans.filter((span) => span.traceId === root.traceId);

  it('follows a fop URL from the HTTP span through the queue wait into the worker and its steps', async () => {
    expect((await fetch(`${platform.url}/traced/photo.jpg?imageView2/2/w/64|imageMogr2/rotate/90`)).status).toBe(200);
    // Spans arrive in export batches: wait for every one this test reads.
    await waitFor('the spans of the request', async () => ['step imageMogr2', 'process fop.imageView2.paid'].every((name) => collector.spans.some((span) => span.name === name)));
    await waitFor('the HTTP span', async () => collector.spans.some((span) => span.name === 'GET /traced/photo.jpg'));
    const http = collector.spans.find((span) => span.name === 'GET /traced/photo.jpg')!;
    expect(http).toMatchObject({ service: 'fopflow-gateway', parentSpanId: undefined });
    const spans = traceOf(http);
    const byName = (name: string) => spans.find((span) => span.name === name);
    expect(byName('queue wait')).toMatchObject({ service: 'fopflow-worker', parentSpanId: http.spanId });
    const processing = byName('process fop.imageView2.paid')!;
    expect(processing).toMatchObject({ service: 'fopflow-worker', parentSpanId: http.spanId });
    expect(byName('step imageView2')).toMatchObject({ parentSpanId: processing.spanId });
    expect(byName('step imageMogr2')).toMatchObject({ parentSpanId: processing.spanId });
  });

  it('follows an async job into its webhook delivery', async () => {
    const answer = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'traced', key: 'photo.jpg' }, fops: ['imageInfo'], notifyUrl: receiver.url });
    expect(answer.status).toBe(202);
    await receiver.waitFor(1);
    await waitFor('the delivery span', async () => collector.spans.some((span) => span.name === 'process notify'));
    await waitFor('the HTTP span', async () => collector.spans.some((span) => span.name === 'POST /v1/jobs'));
    const http = collector.spans.find((span) => span.name === 'POST /v1/jobs')!;
    const names = traceOf(http).map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(['POST /v1/jobs', 'process fop.imageInfo.paid', 'step imageInfo', 'process notify']));
    expect(traceOf(http).find((span) => span.name === 'process notify')!.parentSpanId).toBe(http.spanId);
  });
});
