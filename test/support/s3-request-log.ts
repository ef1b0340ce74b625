import { createServer, request, Server } from 'node:http';

/** One request that went through the log to the S3 server. */
export interface LoggedS3Request {
  method: string;
  /** The decoded path: `/<s3 bucket>/<s3 key>` with path-style addressing. */
  path: string;
}

/** An S3 endpoint on 127.0.0.1 that forwards every request to the real one and keeps what passed. */
export interface S3RequestLog {
  endpoint: string;
  requests: LoggedS3Request[];
  /** How many GETs of the object `key` in `bucket` went through (ranged ones included). */
  getsOf(bucket: string, key: string): number;
  close(): Promise<void>;
}

/**
 * A transparent HTTP proxy in front of an S3 server, so a test can count what the platform asked
 * of its store. The Host header passes unchanged: SigV4 signatures cover it, and the server checks
 * them against the request as signed.
 */
export async function startS3RequestLog(upstream: string): Promise<S3RequestLog> {
  const target = new URL(upstream);
  const requests: LoggedS3Request[] = [];
  const server: Server = createServer((incoming, answer) => {
    requests.push({ method: incoming.method ?? '', path: decodeURIComponent(new URL(incoming.url ?? '/', 'http://x').pathname) });
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (reply) => {
        answer.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(answer);
      },
    );
    forwarded.on('error', () => answer.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    getsOf: (bucket, key) => requests.filter((logged) => logged.method === 'GET' && logged.path === `/${bucket}/${key}`).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
