import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { StepData } from '@fopflow/media';
import type { FopJobData } from '@fopflow/queue';
import { FopJobProcessor } from './fop-job.processor';

/** A fake that fails on any member the test did not give it. */
function strict<T>(name: string, members: Record<string, unknown>): T {
  return new Proxy(members, {
    get: (target, member) => {
      if (member === 'then') return undefined;
      if (!(member in target)) throw new Error(`${name}.${String(member)} was not expected`);
      return target[member as string];
    },
  }) as T;
}

const config = {
  workDir: mkdtempSync(join(tmpdir(), 'processor-work-')),
  allowedTargets: [],
  limits: { maxPipelineSteps: 10, maxUploadBytes: 1 << 20, maxSourceBytes: 1 << 20 },
};

const data: FopJobData = {
  source: { bucket: 'photos', key: 'a.jpg', etag: 'etag-1', size: 10 },
  pipeline: 'imageView2/2/w/10',
  saveas: { bucket: 'thumbs', key: 'a-10.jpg' },
  account: 'ak-owner',
  tier: 'paid',
  resultKey: 'result-1',
  requestedAt: 0,
};

const job = { id: 'job-1', data, attemptsMade: 0, opts: {}, updateProgress: async () => undefined };

interface Calls {
  cacheGets: string[];
  cachePuts: { key: string; data: Buffer }[];
  saves: { bucket: string; key: string; body: unknown }[];
  released: number;
  ran: number;
}

function processorWith(hit: { mime: string; size: number; stream: Readable } | null, result: Buffer): { processor: FopJobProcessor; calls: Calls } {
  const calls: Calls = { cacheGets: [], cachePuts: [], saves: [], released: 0, ran: 0 };
  const cache = strict('cache', {
    get: async (key: string) => (calls.cacheGets.push(key), hit),
    put: async (key: string, bytes: Buffer) => void calls.cachePuts.push({ key, data: bytes }),
  });
  const storage = strict('storage', {
    put: async (bucket: string, key: string, body: unknown) => (calls.saves.push({ bucket, key, body }), { bucket, key, etag: 'saved-etag' }),
  });
  const runner = strict('runner', { run: async () => (calls.ran++, StepData.inMemory(result, 'image/jpeg')) });
  const fetcher = strict('fetcher', {
    fetch: async () => ({ path: '/cache/source', info: { mime: 'image/jpeg', size: 10 }, release: () => calls.released++ }),
  });
  const access = strict('access', { authorize: async () => undefined });
  const tracker = strict('tracker', { completed: async () => undefined });
  const processor = new FopJobProcessor(
    config as never,
    storage as never,
    cache as never,
    runner as never,
    fetcher as never,
    access as never,
    strict('dispatcher', {}),
    strict('queues', {}),
    tracker as never,
  );
  return { processor, calls };
}

const routing = { consumes: () => true };

afterAll(() => rmSync(config.workDir, { recursive: true, force: true }));

describe('FopJobProcessor result storing', () => {
  it('looks at the result cache once, writes the result once and saves the saveas copy from the same bytes', async () => {
    const result = Buffer.from('thumbnail bytes');
    const { processor, calls } = processorWith(null, result);
    const answer = await processor.process(job as never, routing, new AbortController().signal);
    expect(calls.cacheGets).toEqual(['result-1']);
    expect(calls.cachePuts).toHaveLength(1);
    expect(calls.cachePuts[0].data).toBe(result);
    expect(calls.saves).toHaveLength(1);
    expect(calls.saves[0].body).toBe(result);
    expect(calls.released).toBe(1);
    expect(answer).toMatchObject({ resultKey: 'result-1', mime: 'image/jpeg', size: result.length, saved: { bucket: 'thumbs', key: 'a-10.jpg', etag: 'saved-etag' } });
  });

  it('answers a cached result from that one look, saving the copy from its stream without running a step', async () => {
    const stream = Readable.from([Buffer.from('cached')]);
    const { processor, calls } = processorWith({ mime: 'image/png', size: 6, stream }, Buffer.alloc(0));
    const answer = await processor.process(job as never, routing, new AbortController().signal);
    expect(calls.cacheGets).toEqual(['result-1']);
    expect(calls.ran).toBe(0);
    expect(calls.cachePuts).toEqual([]);
    expect(calls.saves.map((save) => save.body)).toEqual([stream]);
    expect(answer).toMatchObject({ mime: 'image/png', size: 6, saved: { etag: 'saved-etag' } });
  });
});
