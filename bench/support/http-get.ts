import { Agent, IncomingHttpHeaders, request } from 'node:http';

/** Bytes of an error body kept for the message; the rest is drained unread. */
const ERROR_BODY_KEPT_BYTES = 300;

/** Status, headers and body size of one request; the body itself is read and dropped. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  /** The start of the body, kept only for answers outside 2xx. */
  errorBody: string;
}

/** What a request other than a plain GET sends. */
export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
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
  return httpRequest(url, agent);
}

/** Sends one request through `agent` and reads the whole answer's body. */
export function httpRequest(url: string, agent: Agent, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const failed = (res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300;
      let bodyBytes = 0;
      let errorBody = '';
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (failed && errorBody.length < ERROR_BODY_KEPT_BYTES) errorBody += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bodyBytes, errorBody }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
