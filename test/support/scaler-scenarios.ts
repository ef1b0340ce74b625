import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './api-client';
import { makeJpeg } from './media';
import { AppProcess, Platform, startApp, startSharedPlatform } from './platform';
import { waitFor } from './ports';
import { CommandCounts } from './queues';

export interface Instance {
  id: string;
  pool: string;
  version: string;
  state: string;
  pid: number;
  inFlight: number;
}

const AK = 'ak-scaler-test';
const SK = 'sk-scaler-test-secret';
const ADMIN = 'admin-token-for-scaler-tests';

/** How a scenario kills an instance as a crash would: process SIGKILL, or a container's. */
export type InstanceKiller = (instance: Instance) => void;

export interface RuntimeSetup {
  name: 'process' | 'docker' | 'swarm';
  /** Env of the scaler beyond the platform's (FOPFLOW_RUNTIME, network, data mount). */
  scalerEnv: (platform: Platform) => Record<string, string>;
  kill: InstanceKiller;
  /** Before the platform starts (build images, chmod data dirs). */
  prepare?: () => Promise<void>;
  /** Gives the platform's data dir to a container user (not root). */
  shareDataDir?: boolean;
  /** Removes what the runtime left (containers and services outlive their scaler by design). */
  cleanup?: () => Promise<void>;
}

/**
 * The burst, kill and upgrade scenarios of the scaler, the same on every runtime: a burst scales
 * a pool out and back to min with every job completed once; a killed instance's job completes
 * elsewhere; a gray upgrade under load ends with no failed job and only the new version left.
 */
export function describeScalerScenarios(runtime: RuntimeSetup): void {
describe(`the scaler on the ${runtime.name} runtime`, () => {
  let platform: Platform;
  let scaler: AppProcess;
  let client: ApiClient;
  let dir: string;
  const admin = { Authorization: `Bearer ${ADMIN}` };

  const instances = async (pool = 'image'): Promise<Instance[]> =>
    ((await (await fetch(`${platform.url}/v1/instances`, { headers: admin })).json()) as { items: Instance[] }).items.filter((i) => i.pool === pool);
  const ready = async (pool = 'image') => (await instances(pool)).filter((instance) => instance.state === 'ready');
  let queueCounts: CommandCounts;
  const counts = () => queueCounts.of('imageView2');
  /** Submits `count` distinct thumbnail jobs in batches; answers their ids. */
  const burst = async (count: number, offset: number, format = 'jpg') => {
    const ids: string[] = [];
    for (let start = 0; start < count; start += 100) {
      const jobs = Array.from({ length: Math.min(100, count - start) }, (_, n) => ({
        source: { bucket: 'media', key: 'photo.jpg' },
        fops: [`imageView2/2/w/${offset + start + n + 1}/format/${format}`],
      }));
      const answer = await client.json<{ ids: string[] }>('POST', '/v1/jobs/batch', { jobs });
      expect(answer.status).toBe(202);
      ids.push(...answer.body.ids);
    }
    return ids;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fopflow-scaler-'));
    const pools = join(dir, 'pools.json');
    writeFileSync(
      pools,
      JSON.stringify({
        pools: {
          image: {
            commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'],
            minInstances: 1,
            maxInstances: 4,
            targetPendingPerInstance: 20,
            scaleDownStabilizationS: 4,
            maxScaleUpStep: 3,
            graceMs: 10_000,
            image: 'fopflow/worker:latest',
            cpus: 1,
            memoryMiB: 768,
          },
          av: { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
        },
      }),
    );
    const env = { FOPFLOW_KEYS: `${AK}:${SK}:paid`, FOPFLOW_ADMIN_TOKEN: ADMIN, FOPFLOW_POOLS_FILE: pools, FOPFLOW_JOB_LOCK_MS: '2000' };
    await runtime.prepare?.();
    platform = await startSharedPlatform(env, runtime.shareDataDir);
    queueCounts = new CommandCounts(platform.redis.url);
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('media/photo.jpg', await makeJpeg(1600, 1200))).status).toBe(200);
    scaler = startApp('scaler', {
      ...env,
      REDIS_URL: platform.redis.url,
      FOPFLOW_DATA_DIR: platform.dataDir,
      FOPFLOW_SCALER_TICK_MS: '300',
      ...runtime.scalerEnv(platform),
    });
    await waitFor('one ready image instance', async () => (await ready()).length === 1, 90_000);
  }, 300_000);

  afterAll(async () => {
    await queueCounts?.close();
    await scaler?.stop();
    await runtime.cleanup?.();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales out under a burst, completes every job once, and scales back to min after the window', async () => {
    let most = 1;
    const watch = setInterval(() => void ready().then((list) => (most = Math.max(most, list.length)), () => undefined), 200);
    try {
      const ids = await burst(400, 0);
      await waitFor('the burst to drain', async () => (await counts()).open === 0, 120_000);
      expect(most).toBeGreaterThan(1);
      const totals = await counts();
      expect(totals).toMatchObject({ completed: 400, failed: 0 });
      const status = await client.json<{ code: number }>('GET', `/v1/jobs/${ids[399]}`);
      expect(status.body.code).toBe(0);
      await waitFor('back to one instance', async () => (await instances()).length === 1, 60_000);
    } finally {
      clearInterval(watch);
    }
    expect(scaler.output()).toMatch(/pending \d+, arrivals .* → needed \d+, desired [2-4]/);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(/fopflow_pool_instances\{pool="image",kind="desired"/);
  }, 180_000);

  it('gives the job of a killed instance to another, which completes it', async () => {
    await fetch(`${platform.url}/v1/pools/image/resize`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: '{"instances":2}' });
    await waitFor('two ready instances', async () => (await ready()).length === 2, 30_000);
    const before = (await counts()).completed;
    // PNG encoding keeps each job busy long enough for a heartbeat to show it in flight.
    await burst(150, 1000, 'png');
    let victim: Instance | undefined;
    await waitFor('an instance with a job in flight', async () => {
      victim = (await ready()).find((instance) => instance.inFlight > 0);
      return victim !== undefined;
    }, 20_000);
    runtime.kill(victim!);
    await waitFor('the burst to drain', async () => (await counts()).open === 0, 60_000);
    expect(await counts()).toMatchObject({ completed: before + 150, failed: 0 });
    await fetch(`${platform.url}/v1/pools/image/resize`, { method: 'DELETE', headers: admin });
  }, 120_000);

  it('upgrades under load with no failed job, leaving only the new version', async () => {
    const before = (await counts()).completed;
    const load = burst(200, 2000);
    const upgrade = await fetch(`${platform.url}/v1/pools/image/upgrade`, {
      method: 'POST',
      headers: { ...admin, 'Content-Type': 'application/json' },
      body: '{"version":"2"}',
    });
    expect(upgrade.status).toBe(201);
    await load;
    await waitFor('only version 2 left and the load done', async () => {
      const list = await instances();
      return (await counts()).open === 0 && list.length > 0 && list.every((instance) => instance.version === '2');
    }, 120_000);
    expect(await counts()).toMatchObject({ completed: before + 200, failed: 0 });
    expect((await ready()).length).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
}
