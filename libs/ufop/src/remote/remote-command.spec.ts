import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboundGuard } from '@fopflow/outbound';
import { parseRemoteCommand, RemoteCommandClient, RemoteCommandError, RemoteCommandSettings } from './remote-command';

/** The auth value every test registers: no error message may ever contain it. */
const SECRET = 'Bearer s3cret-token-7f2a';

/** A request as the fake service got it, body kept as bytes (the local-server fixture keeps text). */
interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface FakeService {
  port: number;
  hits: Hit[];
  close(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedLocalPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs the fop pipeline's view of a third-party command against real HTTP services on 127.0.0.1.
 * Other hostnames (`cmd.test`, `elsewhere.test`) are answered by an injected resolver, so a second
 * host can be told apart from the first while both are local.
 */
describe('RemoteCommandClient', () => {
  let services: FakeService[] = [];
  let dir: string;
  const allowLoopback = new OutboundGuard({ allowedTargets: ['127.0.0.1'], resolve: async () => ['127.0.0.1'] });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remote-command-'));
  });
  afterEach(async () => {
    await Promise.all(services.map((service) => service.close()));
    services = [];
    await rm(dir, { recursive: true, force: true });
  });

  async function service(handler: (hit: Hit, res: ServerResponse) => void): Promise<FakeService> {
    const hits: Hit[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        hits.push(hit);
        handler(hit, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const started: FakeService = {
      port: (server.address() as AddressInfo).port,
      hits,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections(); // a service that never answers holds its socket open
          server.close(() => resolve());
        }),
    };
    services.push(started);
    return started;
  }

  function settings(url: string, overrides: Partial<Record<string, unknown>> = {}): RemoteCommandSettings {
    return parseRemoteCommand({
      url,
      authHeader: { name: 'Authorization', value: SECRET },
      allowedHosts: [new URL(url).hostname],
      ...overrides,
    });
  }

  async function source(bytes: Buffer = randomBytes(4096)): Promise<{ inputPath: string; bytes: Buffer }> {
    const inputPath = join(dir, 'source.bin');
    await writeFile(inputPath, bytes);
    return { inputPath, bytes };
  }

  async function run(client: RemoteCommandClient, overrides: { maxInputBytes?: number } = {}) {
    const { inputPath, bytes } = await source();
    const outputPath = join(dir, 'result.bin');
    const result = await client.handle({
      cmd: 'my-cmd/level/3',
      inputPath,
      inputMime: 'image/png',
      outputPath,
      maxInputBytes: overrides.maxInputBytes ?? 1024 * 1024,
    });
    return { result, outputPath, bytes };
  }

  /** The failure `work` ends in, checked to be a RemoteCommandError that does not leak the auth value. */
  async function failure(work: Promise<unknown>): Promise<RemoteCommandError> {
    const error = await work.then(
      () => {
        throw new Error('expected the command to fail');
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as Error).message).not.toContain(SECRET);
    expect((error as Error).message).not.toContain('s3cret');
    return error as RemoteCommandError;
  }

  it('posts the source with cmd, auth and content type, and writes the answer', async () => {
    const answer = randomBytes(10_000);
    const remote = await service((_hit, res) => res.writeHead(200, { 'content-type': 'image/webp' }).end(answer));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/run?tenant=a%20b`), allowLoopback);

    const { result, outputPath, bytes } = await run(client);

    expect(result).toEqual({ mime: 'image/webp', size: answer.length });
    expect(await readFile(outputPath)).toEqual(answer);
    expect(remote.hits).toHaveLength(1);
    const [hit] = remote.hits;
    expect(hit.method).toBe('POST');
    // The operator's query is kept as written; cmd is added to it.
    expect(hit.url).toBe('/run?tenant=a%20b&cmd=my-cmd%2Flevel%2F3');
    expect(new URL(hit.url, 'http://x').searchParams.get('cmd')).toBe('my-cmd/level/3');
    expect(hit.headers.authorization).toBe(SECRET);
    expect(hit.headers['content-type']).toBe('image/png');
    expect(hit.body.equals(bytes)).toBe(true);
  });

  it('calls an answer without a content type application/octet-stream', async () => {
    const remote = await service((_hit, res) => {
      res.removeHeader('content-type');
      res.writeHead(200).end(Buffer.from([1, 2, 3]));
    });
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const { result } = await run(client);

    expect(result).toEqual({ mime: 'application/octet-stream', size: 3 });
  });

  it("passes a 4xx on with the service's error text", async () => {
    const remote = await service((_hit, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'level must be 1..9' })),
    );
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 422, message: 'my-cmd: level must be 1..9' });
    expect(existsSync(join(dir, 'result.bin'))).toBe(false);
  });

  it('turns a 401 into 502: the operator’s credentials are wrong, not the end user’s', async () => {
    const remote = await service((_hit, res) => res.writeHead(401).end(JSON.stringify({ error: 'bad token' })));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 502, message: "my-cmd refused Fopflow's credentials (401): bad token" });
  });

  it('turns a 5xx into 502 naming the status and the error', async () => {
    const remote = await service((_hit, res) => res.writeHead(503).end(JSON.stringify({ error: 'model is loading' })));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 502, message: 'my-cmd answered 503: model is loading' });
  });

  it('never repeats the auth value, even when the service echoes it in its error', async () => {
    const remote = await service((hit, res) => res.writeHead(500).end(JSON.stringify({ error: `token ${hit.headers.authorization} expired` })));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const error = await failure(run(client));

    expect(error.message).toBe('my-cmd answered 500: token [redacted] expired');
  });

  it('answers 504 when the service does not answer within timeoutMs', async () => {
    const remote = await service(() => undefined); // reads the request, never answers
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`, { timeoutMs: 100 }), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 504, message: 'my-cmd did not answer within 100 ms' });
    expect(existsSync(join(dir, 'result.bin'))).toBe(false);
  });

  it('answers 502 when nothing listens', async () => {
    const port = await closedLocalPort();
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${port}/`), allowLoopback);

    const error = await failure(run(client));

    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^my-cmd could not be reached: ECONNREFUSED/);
  });

  it('never contacts a loopback url the SSRF guard does not allow', async () => {
    const remote = await service((_hit, res) => res.end('should not be asked'));
    const strictGuard = new OutboundGuard({ allowedTargets: [] });
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), strictGuard);

    const error = await failure(run(client));

    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^my-cmd: target '127\.0\.0\.1' is not allowed \(a loopback address/);
    expect(remote.hits).toHaveLength(0);
  });

  it('never contacts a redirect target outside allowedHosts', async () => {
    const elsewhere = await service((_hit, res) => res.end('should not be asked'));
    const remote = await service((_hit, res) => res.writeHead(307, { location: `http://elsewhere.test:${elsewhere.port}/run` }).end());
    const client = new RemoteCommandClient('my-cmd', settings(`http://cmd.test:${remote.port}/run`), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 502, message: "my-cmd: target 'elsewhere.test' is not allowed (not in my-cmd's allowedHosts)" });
    expect(remote.hits).toHaveLength(1);
    expect(elsewhere.hits).toHaveLength(0);
  });

  it('follows a redirect to an allowed host with the source still attached', async () => {
    const moved = await service((_hit, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
    const remote = await service((_hit, res) => res.writeHead(302, { location: `http://moved.test:${moved.port}/v2` }).end());
    const client = new RemoteCommandClient(
      'my-cmd',
      settings(`http://cmd.test:${remote.port}/run`, { allowedHosts: ['cmd.test', 'MOVED.test'] }),
      allowLoopback,
    );

    const { result, bytes } = await run(client);

    expect(result).toEqual({ mime: 'text/plain', size: 4 });
    expect(moved.hits).toHaveLength(1);
    expect(moved.hits[0].method).toBe('POST');
    expect(moved.hits[0].url).toBe('/v2');
    expect(moved.hits[0].body.equals(bytes)).toBe(true);
  });

  it('refuses an answer over maxOutputBytes and writes nothing', async () => {
    const remote = await service((_hit, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(randomBytes(5000)));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`, { maxOutputBytes: 1000 }), allowLoopback);

    const error = await failure(run(client));

    expect(error).toMatchObject({ status: 502, message: 'my-cmd answered more than 1000 bytes, its maxOutputBytes' });
    expect(existsSync(join(dir, 'result.bin'))).toBe(false);
  });

  it('refuses a source over maxInputBytes with 413 without contacting the service', async () => {
    const remote = await service((_hit, res) => res.end('should not be asked'));
    const client = new RemoteCommandClient('my-cmd', settings(`http://127.0.0.1:${remote.port}/`), allowLoopback);

    const error = await failure(run(client, { maxInputBytes: 1000 }));

    expect(error).toMatchObject({ status: 413, message: "my-cmd: the source is 4096 bytes, over this command's 1000-byte limit" });
    expect(remote.hits).toHaveLength(0);
  });
});

describe('parseRemoteCommand', () => {
  const valid = { url: 'https://ocr.example.com/run', allowedHosts: ['ocr.example.com'] };

  function problem(input: unknown): RemoteCommandError {
    try {
      parseRemoteCommand(input);
    } catch (error) {
      expect(error).toBeInstanceOf(RemoteCommandError);
      expect((error as RemoteCommandError).status).toBe(400);
      return error as RemoteCommandError;
    }
    throw new Error('expected the settings to be refused');
  }

  it('applies the defaults and lower-cases allowedHosts', () => {
    expect(parseRemoteCommand({ ...valid, allowedHosts: ['OCR.Example.com', '[::1]'] })).toEqual({
      url: 'https://ocr.example.com/run',
      allowedHosts: ['ocr.example.com', '::1'],
      timeoutMs: 30_000,
      ratePerS: 10,
    });
  });

  it('names the field at fault', () => {
    expect(problem({ ...valid, url: 'ftp://ocr.example.com/run' }).message).toBe('url: must be http or https');
    expect(problem({ ...valid, url: 'not a url' }).message).toBe('url: must be an absolute URL');
    expect(problem({ ...valid, url: 'https://u:p@ocr.example.com/' }).message).toContain('url: must not carry user:password@');
    expect(problem({ ...valid, allowedHosts: ['other.example.com'] }).message).toBe("allowedHosts: must include the url's host 'ocr.example.com'");
    expect(problem({ ...valid, allowedHosts: [] }).message).toContain('allowedHosts: must list at least one host');
    expect(problem({ ...valid, allowedHosts: ['ocr.example.com', 'https://x.com:443'] }).message).toMatch(/^allowedHosts\[1\]: must be a hostname or an IP/);
    expect(problem({ ...valid, timeoutMs: 50 }).message).toBe('timeoutMs: must be at least 100');
    expect(problem({ ...valid, timeoutMs: 300_001 }).message).toBe('timeoutMs: must be at most 300000');
    expect(problem({ ...valid, ratePerS: 0 }).message).toBe('ratePerS: must be greater than 0');
    expect(problem({ ...valid, maxOutputBytes: -1 }).message).toBe('maxOutputBytes: must be greater than 0');
    expect(problem({ ...valid, timeout: 5000 }).message).toBe('timeout: is not a setting');
    expect(problem({ ...valid, authHeader: { name: 'X-Key', value: 'v', secret: 1 } }).message).toBe('authHeader.secret: is not a setting');
  });

  it('refuses auth headers that would break the request, without quoting the value', () => {
    for (const name of ['Host', 'content-length', 'Transfer-Encoding', 'Connection']) {
      expect(problem({ ...valid, authHeader: { name, value: 'x' } }).message).toMatch(/^authHeader\.name: /);
    }
    expect(problem({ ...valid, authHeader: { name: 'X Key', value: 'x' } }).message).toMatch(/^authHeader\.name: must be a header name/);
    const injected = problem({ ...valid, authHeader: { name: 'Authorization', value: `${SECRET}\r\nX-Evil: 1` } });
    expect(injected.message).toBe('authHeader.value: must not contain CR, LF or other control characters');
    expect(injected.message).not.toContain('s3cret');
  });
});
