import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';

/** With FOPFLOW_METRICS_PORT set, the public port answers /metrics with a 404 naming where it went. */
export function publicMetricsOff(req: Request, res: Response, next: NextFunction): void {
  if (req.path !== '/metrics') return next();
  res.status(404).json({ code: 404, error: 'metrics are served on FOPFLOW_METRICS_PORT, not on this port' });
}

/**
 * Serves `GET /metrics` of `registry` on its own port (FOPFLOW_METRICS_PORT), so scrapes can be
 * kept on an internal network while the API port is public. Unref'd: it never holds the
 * process open once the gateway has closed. Resolves with the port it listens on.
 */
export async function serveMetricsPort(registry: Registry, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 404, error: `only GET /metrics here, not ${req.method} ${path}` }));
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (error: Error) => res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 503, error: `metrics unavailable: ${error.message}` })),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  server.unref();
  return { server, port: (server.address() as AddressInfo).port };
}
