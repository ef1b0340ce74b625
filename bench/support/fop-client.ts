import type { Agent } from 'node:http';
import { httpGet, HttpAnswer, keepAliveAgent } from './http-get';
import type { Operation } from './load';
import { BENCH_ADMIN_TOKEN } from './admin-token';

/** What the result cache must have answered for a request to count: `X-Fop-Cache`. */
export type ExpectedCache = 'HIT' | 'MISS';

/**
 * GETs the URL `nextUrl` gives; fails unless the answer is a 200 with the expected X-Fop-Cache.
 * A cache hit in an uncached column, or a miss in a cached one, would measure the wrong path.
 */
export function fopRequest(nextUrl: () => string, agent: Agent, expectedCache: ExpectedCache): Operation {
  return async () => {
    const url = nextUrl();
    expectFop(url, await httpGet(url, agent), expectedCache);
  };
}

/** One GET on its own socket, checked like fopRequest; answers the result's size in bytes. */
export async function fetchFopOnce(url: string, expectedCache?: ExpectedCache): Promise<number> {
  const agent = keepAliveAgent(1);
  try {
    const answer = await httpGet(url, agent);
    expectFop(url, answer, expectedCache);
    return answer.bodyBytes;
  } finally {
    agent.destroy();
  }
}

/** Stores `body` as bucket/key through the gateway's object API, as the operator. */
export async function uploadObject(baseUrl: string, bucket: string, key: string, body: Buffer, mime: string, adminToken = BENCH_ADMIN_TOKEN): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/objects/${bucket}/${key}`, {
    method: 'PUT',
    headers: { 'Content-Type': mime, Authorization: `Bearer ${adminToken}` },
    body,
  });
  if (!response.ok) throw new Error(`upload of ${bucket}/${key} failed: ${response.status} ${await response.text()}`);
}

function expectFop(url: string, answer: HttpAnswer, expectedCache: ExpectedCache | undefined): void {
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.errorBody}`);
  const cache = answer.headers['x-fop-cache'];
  if (expectedCache !== undefined && cache !== expectedCache) {
    throw new Error(`GET ${url}: X-Fop-Cache ${String(cache)}, expected ${expectedCache}`);
  }
}
