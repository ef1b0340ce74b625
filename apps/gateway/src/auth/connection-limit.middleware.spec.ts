import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Redis } from 'ioredis';
import { connectionLimitMiddleware } from './connection-limit.middleware';
import { RateLimits } from './rate-limits';

describe('connectionLimitMiddleware', () => {
  // The connection cap is per process and never touches Redis; the client is never connected.
  const redis = new Redis({ lazyConnect: true });
  const limits = new RateLimits(redis, { anonymous: { requestsPerSecond: 0, commandRequestsPerSecond: 0, concurrentConnections: 2 } });
  const identity = { key: 'ip:127.0.0.1', tier: 'anonymous' };
  const waiting: Array<() => void> = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(connectionLimitMiddleware(limits, () => identity));
    // Holds each answer until the test lets it go, so requests stay in flight.
    app.get('/slow', (_req, res) => {
      waiting.push(() => res.send('done'));
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    redis.disconnect();
  });

  const inFlight = async (count: number) => {
    while (limits.connectionsOf(identity) !== count) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('answers 429 with Retry-After over the cap, and frees slots as answers end or clients leave', async () => {
    const first = fetch(url);
    const aborted = new AbortController();
    const second = fetch(url, { signal: aborted.signal }).catch(() => 'aborted');
    await inFlight(2);

    const refused = await fetch(url);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ code: 429, error: "over the limit of 2 concurrent connections for client 127.0.0.1 (tier 'anonymous')" });

    waiting.shift()!();
    expect(await (await first).text()).toBe('done');
    aborted.abort();
    await second;
    await inFlight(0);
  });
});
