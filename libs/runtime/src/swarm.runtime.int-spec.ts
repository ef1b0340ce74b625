import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import {
  buildTermLoopImage,
  eventually,
  requireDockerEngine,
  requireSwarmManager,
  TERM_LOOP_IMAGE,
} from './docker-engine.testing';
import { InstanceSpec } from './instance-runtime';
import { SwarmRuntime, swarmServiceName } from './swarm.runtime';

// Runs on a real single-node swarm (`docker swarm init --advertise-addr 127.0.0.1`; .ci/run does it).
const docker = new Docker();
const MiB = 1024 * 1024;

interface Task {
  ID: string;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

describe('SwarmRuntime', () => {
  const pool = `swarm${randomBytes(3).toString('hex')}`;
  const name = swarmServiceName(pool, '1.0.0');
  let runtime: SwarmRuntime;

  const spec: InstanceSpec = {
    pool,
    version: '1.0.0',
    image: TERM_LOOP_IMAGE,
    commands: ['avthumb'],
    env: { REDIS_URL: 'redis://127.0.0.1:6379' },
    cpus: 0.25,
    memoryBytes: 32 * MiB,
    graceMs: 5000,
  };

  const tasks = async () => (await docker.listTasks({ filters: { service: [name] } })) as Task[];
  const running = async () => (await tasks()).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  /** Exit codes of this service's containers that died since `since` (seconds), from the engine's events. */
  const containerDeaths = async (since: number): Promise<string[]> => {
    const until = Math.ceil(Date.now() / 1000) + 1;
    const stream = (await docker.getEvents({
      since,
      until,
      filters: { type: ['container'], event: ['die'], label: [`com.docker.swarm.service.name=${name}`] },
    })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { Actor: { Attributes: { exitCode: string } } }).Actor.Attributes.exitCode);
  };
  const service = async () => (await docker.listServices({ filters: { name: [name] } })).find((s) => s.Spec?.Name === name);

  beforeAll(async () => {
    await requireDockerEngine(docker);
    await requireSwarmManager(docker);
    buildTermLoopImage();
    runtime = new SwarmRuntime({ docker });
  }, 10 * 60_000);

  afterAll(async () => {
    await runtime?.close();
  }, 60_000);

  it('runs a pool version as one service, one replica per start, each task with its own instance id', async () => {
    const first = await runtime.start(spec);
    const second = await runtime.start(spec);

    const created = await service();
    expect(created?.Spec?.Mode?.Replicated?.Replicas).toBe(2);
    expect(created?.Spec?.Labels).toMatchObject({ 'fopflow.pool': pool, 'fopflow.version': '1.0.0', 'fopflow.runtime': 'swarm' });
    const task = created?.Spec?.TaskTemplate as Docker.ContainerTaskSpec;
    expect(task.ContainerSpec?.StopGracePeriod).toBe(5000 * 1e6);
    expect(task.ContainerSpec?.Image).toMatch(/^sha256:[0-9a-f]{64}$/); // pinned: no node tries a registry
    expect(task.Resources?.Limits).toEqual({ NanoCPUs: 250_000_000, MemoryBytes: 32 * MiB });

    await eventually('two running tasks', async () => (await running()).length === 2, 30_000);
    const live = await running();
    // start() answers with the task it brought, so its id is the one the worker reports to Keeper.
    expect(live.map((t) => t.ID).sort()).toEqual([first.id, second.id].sort());
    expect(await runtime.list(pool)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: first.id, pool, version: '1.0.0', runtime: 'swarm' }),
        expect.objectContaining({ id: second.id, pool, version: '1.0.0', runtime: 'swarm' }),
      ]),
    );

    // Swarm expands {{.Task.ID}} per task: every replica has its own FOPFLOW_INSTANCE_ID.
    const envs = await Promise.all(
      live.map(async (t) => (await docker.getContainer(t.Status.ContainerStatus?.ContainerID as string).inspect()).Config.Env),
    );
    const instanceIds = envs.map((env) => env.find((line) => line.startsWith('FOPFLOW_INSTANCE_ID='))?.split('=')[1]);
    expect(new Set(instanceIds).size).toBe(2);
    expect(instanceIds.sort()).toEqual(live.map((t) => t.ID).sort());
    for (const env of envs) {
      expect(env).toEqual(
        expect.arrayContaining([`FOPFLOW_POOL=${pool}`, 'FOPFLOW_VERSION=1.0.0', 'FOPFLOW_RUNTIME=swarm', 'FOPFLOW_WORKER_COMMANDS=avthumb']),
      );
    }
  }, 60_000);

  it('stop() lowers the replicas by one and resolves once that task has exited gracefully', async () => {
    const [victim] = await runtime.list(pool);
    const since = Math.floor(Date.now() / 1000) - 1;
    await runtime.stop(victim.id, 5000);

    expect((await service())?.Spec?.Mode?.Replicated?.Replicas).toBe(1);
    expect(await running()).toHaveLength(1);
    expect(await runtime.list(pool)).toHaveLength(1);
    // Swarm picked the task; whichever it was, SIGTERM let it finish (exit 0, not 137). The
    // engine's events say so even once swarm has reaped the task and its container.
    const deaths = await containerDeaths(since);
    expect(deaths).toEqual(['0']);
  }, 60_000);

  it('close() removes the services it scaled and their containers', async () => {
    await runtime.close();
    expect(await service()).toBeUndefined();
    const left = await docker.listContainers({ all: true, filters: { label: [`fopflow.pool=${pool}`] } });
    expect(left).toEqual([]);
  }, 60_000);
});
