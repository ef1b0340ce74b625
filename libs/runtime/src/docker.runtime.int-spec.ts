import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildTermLoopImage, nextExitCode, requireDockerEngine, TERM_LOOP_IMAGE } from './docker-engine.testing';
import { DockerRuntime } from './docker.runtime';
import { InstanceSpec } from './instance-runtime';

// Runs against the real engine (docker/base-image.sh starts it; .ci/run does in CI): no mocks, no skips.
const docker = new Docker();
const MiB = 1024 * 1024;

describe('DockerRuntime', () => {
  // Fresh pool names per run: parallel or leftover runs never see each other's containers.
  const run = randomBytes(3).toString('hex');
  const pool = (name: string) => `${name}${run}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'fopflow-docker-runtime-'));
  let runtime: DockerRuntime;

  const spec = (overrides: Partial<InstanceSpec> = {}): InstanceSpec => ({
    pool: pool('image'),
    version: 'v1',
    image: TERM_LOOP_IMAGE,
    commands: ['imageView2', 'imageInfo'],
    env: { REDIS_URL: 'redis://127.0.0.1:6379', FOPFLOW_DATA_DIR: '/somewhere/else' },
    graceMs: 5000,
    ...overrides,
  });

  beforeAll(async () => {
    await requireDockerEngine(docker);
    buildTermLoopImage();
    runtime = new DockerRuntime({ docker, network: 'host', dataMount: dataDir });
  }, 10 * 60_000);

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('starts a labelled container with the instance env, quotas and the data mount', async () => {
    const instance = await runtime.start(spec({ cpus: 0.5, memoryBytes: 64 * MiB }));
    expect(instance).toMatchObject({ pool: pool('image'), version: 'v1', runtime: 'docker' });
    expect(instance.id).toMatch(new RegExp(`^fopflow-${pool('image')}-v1-[0-9a-f]{8}$`));

    const info = await docker.getContainer(instance.id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Name).toBe(`/${instance.id}`);
    expect(info.Id.startsWith(instance.host)).toBe(true);
    expect(info.Config.Labels).toMatchObject({
      'fopflow.pool': pool('image'),
      'fopflow.version': 'v1',
      'fopflow.instance': instance.id,
      'fopflow.runtime': 'docker',
    });
    expect(info.Config.Env).toEqual(
      expect.arrayContaining([
        `FOPFLOW_INSTANCE_ID=${instance.id}`,
        `FOPFLOW_POOL=${pool('image')}`,
        'FOPFLOW_VERSION=v1',
        'FOPFLOW_RUNTIME=docker',
        'FOPFLOW_WORKER_COMMANDS=imageView2,imageInfo',
        'REDIS_URL=redis://127.0.0.1:6379',
        'FOPFLOW_DATA_DIR=/data', // the mount wins over a host path in spec.env
      ]),
    );
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.Memory).toBe(64 * MiB);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(5); // missing from @types/dockerode
    expect(info.Mounts).toEqual([expect.objectContaining({ Type: 'bind', Source: dataDir, Destination: '/data' })]);

    await runtime.stop(instance.id, 5000);
  });

  it('stops with SIGTERM and lets the instance finish within its grace, then removes it', async () => {
    const instance = await runtime.start(spec());
    const exitCode = await nextExitCode(docker, instance.id);
    const began = Date.now();
    await runtime.stop(instance.id, 5000);
    const tookMs = Date.now() - began;

    expect(await exitCode()).toBe(0); // its TERM trap ran: not 137
    expect(tookMs).toBeGreaterThanOrEqual(900); // the trap's 1 s of "finishing jobs"
    expect(tookMs).toBeLessThan(5000);
    await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('kills an instance that ignores SIGTERM once graceMs has passed', async () => {
    const instance = await runtime.start(spec({ env: { IGNORE_TERM: '1' } }));
    const exitCode = await nextExitCode(docker, instance.id);
    const began = Date.now();
    await runtime.stop(instance.id, 2000);
    const tookMs = Date.now() - began;

    expect(await exitCode()).toBe(137); // SIGKILL
    expect(tookMs).toBeGreaterThanOrEqual(1900);
    expect(tookMs).toBeLessThan(8000);
    await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lists running instances by pool, and not once stopped', async () => {
    const first = await runtime.start(spec({ pool: pool('lista') }));
    const second = await runtime.start(spec({ pool: pool('listb'), version: 'v2' }));

    expect((await runtime.list(pool('lista'))).map((i) => i.id)).toEqual([first.id]);
    expect(await runtime.list(pool('listb'))).toEqual([
      expect.objectContaining({ id: second.id, pool: pool('listb'), version: 'v2', runtime: 'docker', host: second.host }),
    ]);
    const all = (await runtime.list()).map((i) => i.id);
    expect(all).toEqual(expect.arrayContaining([first.id, second.id]));

    await Promise.all([runtime.stop(first.id, 5000), runtime.stop(second.id, 5000)]);
    expect(await runtime.list(pool('lista'))).toEqual([]);
    await expect(runtime.stop(first.id, 5000)).resolves.toBeUndefined(); // stopping twice is harmless
  });

  it('fails clearly on an image the engine does not have, leaving nothing behind', async () => {
    await expect(runtime.start(spec({ pool: pool('noimage'), image: `fopflow-test/absent:${run}` }))).rejects.toThrow(
      /is not on this engine/,
    );
    expect(await runtime.list(pool('noimage'))).toEqual([]);
  });

  it('close() stops everything it started', async () => {
    const own = new DockerRuntime({ docker, network: 'host' });
    await Promise.all([own.start(spec({ pool: pool('close') })), own.start(spec({ pool: pool('close') }))]);
    expect(await own.list(pool('close'))).toHaveLength(2);

    await own.close();
    const left = await docker.listContainers({ all: true, filters: { label: [`fopflow.pool=${pool('close')}`] } });
    expect(left).toEqual([]);
  }, 30_000);
});
