import { writeFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { httpGet } from './http-get';
import type { Operation } from './load';
import { BenchChild, makeTempDir, removeTempDir, spawnTracked } from './cleanup';
import { freePort, waitFor } from './ports';

/** ipx serving one file, in a process of its own as `ipx serve` runs. */
export interface IpxServer {
  /** Base URL: `<url>/<modifiers>/<name>` answers the file processed. */
  url: string;
  child: BenchChild;
  stop(): Promise<void>;
}

/**
 * Writes `source` as `name` into a fresh directory (on the same disk as the platform's data dir:
 * both under the temp dir) and starts ipx serving that directory on a free port.
 */
export async function startIpx(name: string, source: Buffer): Promise<IpxServer> {
  const dir = makeTempDir('fopflow-bench-ipx-');
  writeFileSync(join(dir, name), source);
  const port = await freePort();
  const child = spawnTracked('ipx', process.execPath, [join(__dirname, 'ipx.server.js'), dir, String(port)]);
  const stop = async () => {
    await child.stop();
    removeTempDir(dir);
  };
  try {
    await waitFor('ipx ready', async () => child.output().includes('ipx ready'));
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- ipx ---\n${child.output()}`);
  }
  return { url: `http://127.0.0.1:${port}`, child, stop };
}

/** GETs the URL `nextUrl` gives from ipx; fails unless the answer is a 200 with a body. */
export function ipxRequest(nextUrl: () => string, agent: Agent): Operation {
  return async () => {
    const url = nextUrl();
    const answer = await httpGet(url, agent);
    if (answer.status !== 200 || answer.bodyBytes === 0) throw new Error(`GET ${url}: ${answer.status} ${answer.errorBody}`);
  };
}
