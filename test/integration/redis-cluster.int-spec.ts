import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { ResultCache } from '@fopflow/cache';
import { Keeper, PoolDecision, PoolStateStore } from '@fopflow/keeper';
import { JobStatsRecorder, readJobTotals } from '@fopflow/metrics';
import { JobCode, PersistentJobStore } from '@fopflow/jobs';
import { createRedis, queueOptions, queuePrefix, type RedisClient } from '@fopflow/queue';
import { CommandRegistry } from '@fopflow/ufop';
import { Cluster } from 'ioredis';
import { RateLimitedError, RateLimits } from '../../apps/gateway/src/auth/rate-limits';
import { jobMeta } from '../support/job-meta';
import { startRedisCluster, TestRedisCluster } from '../support/redis-cluster';

const key = (n: number) => n.toString(16).padStart(64, '0');

/**
 * Every store that writes more than one key in one step, on a real 3-master Redis Cluster: a key
 * outside the step's slot would fail with CROSSSLOT, and a SCAN of one node would miss keys.
 */
describe('Fopflow on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let redis: RedisClient;

  /** The master that serves `name`, by port. */
  const masterOf = async (name: string) => {
    const slot = (await redis.call('CLUSTER', 'KEYSLOT', name)) as number;
    const ranges = (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  };
  const keysOnEveryMaster = async (pattern: string) => {
    const found: string[] = [];
    for (const node of (redis as Cluster).nodes('master')) found.push(...(await node.keys(pattern)));
    return found.sort();
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = createRedis(cluster.url, 'worker', 'cluster-spec');
  }, 60_000);

  afterEach(() => cluster.flushAll());

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('has three masters covering every slot, reached through REDIS_URL as a Cluster client', async () => {
    expect(redis.isCluster).toBe(true);
    const ranges = (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number]>;
    expect(ranges).toHaveLength(3);
    expect(ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBe(16384);
  });

  describe('result cache', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fopflow-cluster-cache-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps one LRU order and an exact byte count under concurrent writers, its keys in one slot', async () => {
      const caches = [0, 1, 2].map(() => new ResultCache(redis, { dir, maxBytes: 1000 }));
      await Promise.all(Array.from({ length: 60 }, (_, n) => caches[n % 3].put(key(n + 1), Buffer.alloc(50, n), 'x/y')));
      const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
      expect(await caches[0].totalBytes()).toBeLessThanOrEqual(1000);
      expect(files.length * 50).toBe(await caches[0].totalBytes());
      const keys = await keysOnEveryMaster('*cache*');
      expect(keys).toEqual(['{fopflow:cache}:bytes', '{fopflow:cache}:clock', '{fopflow:cache}:lru', '{fopflow:cache}:meta']);
      // A use moves an entry to the end: the oldest goes next, not the one just read.
      const small = new ResultCache(redis, { dir, maxBytes: 250, keyPrefix: 'fopflow:small' });
      for (const n of [1, 2]) await small.put(key(n), Buffer.alloc(100, n), 'a/b');
      (await small.get(key(1)))!.stream.destroy();
      await small.put(key(3), Buffer.alloc(100, 3), 'a/b');
      expect(await small.get(key(2))).toBeNull();
      (await small.get(key(1)))!.stream.destroy();
    });
  });

  describe('async job records', () => {
    it('records, ends and lists jobs of owners spread over every master', async () => {
      const store = new PersistentJobStore(redis, 600);
      const owners = Array.from({ length: 12 }, (_, n) => `ak-owner-${n}`);
      for (const [n, owner] of owners.entries()) await store.create(jobMeta(`job-${n}`, ['imageInfo', 'avinfo'], { owner, createdAt: Date.now() + n }), ['imageInfo', 'avinfo']);
      // The owners' indexes sit on more than one master: a SCAN of one node would miss some.
      expect(new Set(await Promise.all(owners.map((owner) => masterOf(`fopflow:pjobs:${owner}`)))).size).toBeGreaterThan(1);
      const listed = await store.listAll(100);
      expect(listed.map((entry) => entry.id).sort()).toEqual(owners.map((_, n) => `job-${n}`).sort());

      await store.patchItem({ id: 'job-3', index: 0 }, { code: JobCode.Processing });
      expect(await store.finishItem({ id: 'job-3', index: 0 }, { cmd: 'imageInfo', code: JobCode.Done, desc: 'done' })).toBe(false);
      expect(await store.finishItem({ id: 'job-3', index: 1 }, { cmd: 'avinfo', code: JobCode.Failed, desc: 'failed', error: 'no' })).toBe(true);
      await store.recordNotify('job-3', 'https://hook.example/', 'delivered', { at: 1, outcome: 'delivered', status: 200 });
      expect(await store.status('job-3')).toMatchObject({ code: JobCode.Failed, notify: { state: 'delivered', attempts: [{ status: 200 }] } });
      expect(await store.list('ak-owner-3', { limit: 10 })).toEqual(['job-3']);

      await store.discard({ id: 'job-4', owner: 'ak-owner-4' });
      expect(await store.status('job-4')).toBeUndefined();
      expect(await store.list('ak-owner-4', { limit: 10 })).toEqual([]);

      expect(await store.claimIdempotencyKey('ak-owner-1', 'k', 'job-a')).toBeUndefined();
      expect(await store.claimIdempotencyKey('ak-owner-1', 'k', 'job-b')).toMatchObject({ id: 'job-a', pending: true });
      expect(await store.takeOverIdempotencyKey('ak-owner-1', 'k', 'job-a', 'job-b')).toBe(true);
    });
  });

  describe('Keeper and scaler decisions', () => {
    it('registers, lists and removes instances, and keeps each pool’s decisions, in one slot each', async () => {
      const keeper = new Keeper(redis);
      const record = (id: string, pool: string) => ({ id, pool, version: '1', runtime: 'process', host: 'h', pid: 1, commands: ['imageView2'], state: 'ready' as const, inFlight: 0, startedAt: 1 });
      for (const n of [1, 2, 3, 4]) await keeper.heartbeat(record(`i-${n}`, n % 2 ? 'image' : 'av'));
      expect((await keeper.instances()).map((found) => found.id).sort()).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
      expect((await keeper.instances('av')).map((found) => found.id).sort()).toEqual(['i-2', 'i-4']);
      await keeper.remove('i-1');
      expect((await keeper.discovery()).imageView2.sort()).toEqual(['i-2', 'i-3', 'i-4']);

      const pools = new PoolStateStore(redis);
      const decision = (at: number): PoolDecision => ({ at, pending: 3, arrivalPerS: 1, meanServiceS: 1, needed: 1, desired: 1, ready: 0, starting: 1, draining: 0, version: '1', oldVersionInstances: 0, pinned: false });
      for (const pool of ['image', 'av', 'ufop-x']) for (const at of [1, 2]) await pools.recordDecision(pool, decision(at));
      expect(Object.keys(await pools.decisions()).sort()).toEqual(['av', 'image', 'ufop-x']);
      expect((await pools.decisionHistory('av')).map((entry) => entry.at)).toEqual([1, 2]);
      await pools.update('image', (state) => ({ ...state, pinnedInstances: 2 }));
      expect(await pools.get('image')).toEqual({ pinnedInstances: 2 });
    });
  });

  describe('UFOP registry', () => {
    it('registers, lists, updates under WATCH from many writers and unregisters in one MULTI', async () => {
      const registry = new CommandRegistry(redis);
      const ufop = (name: string) => ({ name, kind: 'ufop' as const, owner: 'AKone', mode: 'private' as const, flavor: 'C1M1', description: '', maxInstances: 0, timeoutMs: 1000 });
      for (const name of ['my-sepia', 'my-blur', 'my-glow']) await registry.register(ufop(name));
      expect((await registry.list()).map((record) => record.name)).toEqual(['my-blur', 'my-glow', 'my-sepia']);
      await registry.addVersion('my-sepia', { bucket: 'b', key: 'k' });
      await registry.appendBuildLog('my-sepia', '1', ['step 1', 'step 2']);
      const writers = [0, 1, 2].map(() => new CommandRegistry(redis));
      await Promise.all(Array.from({ length: 15 }, (_, n) => writers[n % 3].update('my-sepia', (record) => void (record.maxInstances += 1))));
      writers.forEach((writer) => writer.close());
      expect((await registry.require('my-sepia')).maxInstances).toBe(15);
      await registry.unregister('my-sepia');
      expect((await registry.list()).map((record) => record.name)).toEqual(['my-blur', 'my-glow']);
      expect(await keysOnEveryMaster('*my-sepia*')).toEqual([]);
      registry.close();
    });
  });

  describe('rate limits and job figures', () => {
    it('limits requests per key and counts finished jobs across workers', async () => {
      const limits = new RateLimits(redis, {
        paid: { requestsPerSecond: 2, commandRequestsPerSecond: 1, concurrentConnections: 0 },
        anonymous: { requestsPerSecond: 1, commandRequestsPerSecond: 0, concurrentConnections: 0 },
      });
      // The request and the command window of a client are counted by one script: one slot.
      for (const tenant of ['ak-a', 'ak-b', 'ak-c']) {
        await limits.consume({ key: tenant, tier: 'paid' }, 'imageInfo');
        await expect(limits.consume({ key: tenant, tier: 'paid' }, 'imageInfo')).rejects.toThrow(/1 imageInfo requests per second/);
        await expect(limits.consume({ key: tenant, tier: 'paid' })).rejects.toBeInstanceOf(RateLimitedError);
      }
      expect(await keysOnEveryMaster('{fopflow:rl:paid:ak-a}:*')).toEqual(['{fopflow:rl:paid:ak-a}:cmd:imageInfo', '{fopflow:rl:paid:ak-a}:req']);
      const stats = new JobStatsRecorder(redis);
      await stats.record('imageView2', 'paid', 'completed', 0.2);
      await stats.record('imageView2', 'paid', 'completed', 0.3);
      expect(await readJobTotals(redis)).toEqual([{ command: 'imageView2', tier: 'paid', outcome: 'completed', count: 2, seconds: 0.5 }]);
    });
  });

  describe('BullMQ queues', () => {
    it('run jobs and a flow whose parent and children sit in different queues, all under {bull}', async () => {
      expect(queuePrefix(redis)).toBe('{bull}');
      const names = ['fop.imageInfo.paid', 'fop.avinfo.paid', 'jobs.cluster-spec'];
      const connections = names.map((name) => createRedis(cluster.url, 'worker', `cluster-spec-${name}`));
      const workers = names.map(
        (name, index) =>
          new Worker(
            name,
            async (job) => (name.startsWith('jobs.') ? Object.values(await job.getChildrenValues()).sort() : `${name}:${job.data.n}`),
            queueOptions(connections[index]),
          ),
      );
      const flows = new FlowProducer(queueOptions(redis));
      const parentQueue = new Queue(names[2], queueOptions(redis));
      const done = new Promise<unknown>((resolve) => workers[2].on('completed', (_job, value) => resolve(value)));
      await flows.add({
        name: 'job',
        queueName: names[2],
        data: {},
        children: [
          { name: 'item', queueName: names[0], data: { n: 0 } },
          { name: 'item', queueName: names[1], data: { n: 1 } },
        ],
      });
      expect(await done).toEqual(['fop.avinfo.paid:1', 'fop.imageInfo.paid:0']);
      expect((await keysOnEveryMaster('bull:*')).length).toBe(0);
      expect((await keysOnEveryMaster('{bull}:*')).length).toBeGreaterThan(0);
      await Promise.all([...workers.map((worker) => worker.close()), flows.close(), parentQueue.close()]);
      connections.forEach((connection) => connection.disconnect());
    });
  });
});
