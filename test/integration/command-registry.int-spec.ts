import IORedis from 'ioredis';
import { CommandCatalog, CommandRegistry, CommandRegistryError, RUN_LOG_RETENTION_MS } from '@fopflow/ufop';
import { startRedis, TestRedis } from '../support/redis-server';
import { waitFor } from '../support/ports';

const ufop = (name: string) => ({ name, kind: 'ufop' as const, owner: 'AKone', mode: 'private' as const, flavor: 'C1M1', description: '', maxInstances: 4, timeoutMs: 1000 });

describe('CommandRegistry (real Redis)', () => {
  let redis: TestRedis;
  let connection: IORedis;
  let registry: CommandRegistry;

  beforeAll(async () => {
    redis = await startRedis();
    connection = new IORedis(redis.url);
    registry = new CommandRegistry(connection);
  });

  afterAll(async () => {
    registry.close();
    connection.disconnect();
    await redis.stop();
  });

  const status = (promise: Promise<unknown>) => promise.then(() => 'done', (error: CommandRegistryError) => [error.status, error.message]);

  it('registers a name once and refuses names that are not custom commands', async () => {
    await registry.register(ufop('my-sepia'));
    expect(await status(registry.register(ufop('my-sepia')))).toEqual([409, "'my-sepia' is already registered"]);
    expect(await status(registry.register(ufop('vframe')))).toEqual([409, "name 'vframe' is taken by Fopflow itself"]);
    expect(await status(registry.register(ufop('Bad_Name')))).toEqual([400, expect.stringContaining("name 'Bad_Name' must be")]);
    expect((await registry.list()).map((record) => record.name)).toEqual(['my-sepia']);
  });

  it('numbers versions; the first that builds becomes current, later ones wait to be chosen', async () => {
    const tarball = { bucket: 'b', key: 'k' };
    const one = await registry.addVersion('my-sepia', tarball);
    const two = await registry.addVersion('my-sepia', tarball);
    const three = await registry.addVersion('my-sepia', tarball);
    expect([one.version, two.version, three.version]).toEqual(['1', '2', '3']);
    await registry.finishVersion('my-sepia', '1', { state: 'failed', error: 'build_script[0] failed' });
    expect((await registry.require('my-sepia')).currentVersion).toBeUndefined();
    await registry.finishVersion('my-sepia', '2', { state: 'ready', image: 'r/ufop/x-my-sepia:2' });
    await registry.finishVersion('my-sepia', '3', { state: 'ready', image: 'r/ufop/x-my-sepia:3' });
    expect((await registry.require('my-sepia')).currentVersion).toBe('2');
    expect(await status(registry.useVersion('my-sepia', '1'))).toEqual([409, "version 1 of 'my-sepia' is failed, not ready to run"]);
    expect(await status(registry.useVersion('my-sepia', '9'))).toEqual([404, expect.stringContaining('has no version 9')]);
    expect((await registry.useVersion('my-sepia', '3')).currentVersion).toBe('3');
  });

  it('loses no change when many arrive at once', async () => {
    await registry.update('my-sepia', (record) => void (record.maxInstances = 0));
    const others = Array.from({ length: 3 }, () => new CommandRegistry(connection));
    await Promise.all(
      Array.from({ length: 30 }, (_, n) => others[n % 3].update('my-sepia', (record) => void (record.maxInstances += 1))),
    );
    others.forEach((other) => other.close());
    expect((await registry.require('my-sepia')).maxInstances).toBe(30);
  });

  it('keeps build logs bounded per version and drops everything on unregister', async () => {
    await registry.appendBuildLog('my-sepia', '3', ['step 1', 'step 2']);
    expect(await registry.buildLog('my-sepia', '3')).toEqual(['step 1', 'step 2']);
    await registry.unregister('my-sepia');
    expect(await registry.get('my-sepia')).toBeUndefined();
    expect(await registry.buildLog('my-sepia', '3')).toEqual([]);
    // A new registration starts its versions from 1 again.
    await registry.register(ufop('my-sepia'));
    expect((await registry.addVersion('my-sepia', { bucket: 'b', key: 'k' })).version).toBe('1');
  });

  it("keeps each instance's latest program output, newest first, and forgets it after a day", async () => {
    await registry.recordRunLog('my-sepia', { instance: 'a', version: '1', at: Date.now() - 1000, lines: ['started a'] });
    await registry.recordRunLog('my-sepia', { instance: 'b', version: '1', at: Date.now(), lines: ['started b'] });
    await registry.recordRunLog('my-sepia', { instance: 'a', version: '1', at: Date.now() - 500, lines: ['started a', 'served'] });
    await registry.recordRunLog('my-sepia', { instance: 'old', version: '1', at: Date.now() - RUN_LOG_RETENTION_MS - 1, lines: ['long ago'] });
    expect((await registry.runLogs('my-sepia')).map((log) => [log.instance, log.lines.length])).toEqual([['b', 1], ['a', 2]]);
    expect(await connection.hexists('fopflow:command:my-sepia:run', 'old')).toBe(0);
  });

  it("tells another process's catalog about a change without waiting for its poll", async () => {
    const catalog = new CommandCatalog(new CommandRegistry(connection), connection, 60_000);
    await catalog.start();
    try {
      expect(catalog.get('fresh-one')).toBeUndefined();
      await registry.register(ufop('fresh-one'));
      await waitFor('the catalog to see it', async () => catalog.get('fresh-one') !== undefined, 5000);
    } finally {
      catalog.close();
    }
  });
});
