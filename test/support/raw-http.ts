import { connect } from 'node:net';

/** What came back for a request whose body was only partly sent. */
export interface PartialAnswer {
  status: number;
  headers: Record<string, string>;
  body: { code?: number; error?: string };
  /** Body bytes the client had written when the answer came (it never writes more). */
  sentBodyBytes: number;
}

/**
 * Sends a request head declaring `declaredBytes` of body, then only `sentBytes` of it, and
 * reads the answer. An answer at all proves the server decided without the rest of the body:
 * a server reading it would wait for bytes that never come (and the test would time out).
 * Settles only once the server closes the connection, so a server that answers but keeps the
 * connection (to read the rest) fails the test too. Keep `sentBytes` small (a few KiB): what
 * the server has not read when it closes would make the close a reset.
 */
export function sendPartialBody(
  baseUrl: string,
  request: { method: string; path: string; headers?: Record<string, string>; declaredBytes: number; sentBytes: number },
): Promise<PartialAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    `Content-Length: ${request.declaredBytes}`,
    ...Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(head);
      socket.write(Buffer.alloc(request.sentBytes, 0x61));
    });
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => {
      const text = Buffer.concat(received).toString('utf8');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = headText.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      let body: PartialAnswer['body'] = {};
      try {
        body = JSON.parse(rest.join('\r\n\r\n')) as PartialAnswer['body'];
      } catch {
        body = {};
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, sentBodyBytes: request.sentBytes });
      socket.destroy();
    });
  });
}
