import { createServer } from 'node:net';

/** Test-only loopback helpers of the ufop specs. */

/** A loopback port nothing listens on: bound by the OS, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls a UFOP program's GET /health on a loopback port until it answers (any status). */
export async function waitForHealth(port: number, tries = 50, pauseMs = 200): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    try {
      return await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  throw lastError;
}
