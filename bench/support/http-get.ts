import { Agent, IncomingHttpHeaders, request } from 'node:http';

/** Bytes of an error body kept for the message; the rest is drained unread. */
const ERROR_BODY_KEPT_BYTES = 300;

/** Status, headers and body size of one GET; the body itself is read and dropped. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  /** The start of the body, kept only for answers other than 200. */
  errorBody: string;
}

/**
 * A keep-alive client sized to the concurrency, so a run measures requests, not TCP handshakes.
 * node:http rather than fetch: less client CPU, which here shares the 2 cores with the platform.
 */
export function keepAliveAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

/** GETs `url` through `agent` and reads the whole body. */
export function httpGet(url: string, agent: Agent): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let bodyBytes = 0;
      let errorBody = '';
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (res.statusCode !== 200 && errorBody.length < ERROR_BODY_KEPT_BYTES) errorBody += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bodyBytes, errorBody }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
