import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwarmRuntime } from '@fopflow/runtime';
import Docker from 'dockerode';
import {
  buildProbeImage,
  clusterScript,
  ClusterSettings,
  clusterSettings,
  clusterToolsProblem,
  clusterTraces,
  dockerAt,
} from '../support/cluster';

/** How long the service's three tasks may take to pull and run (pulls go over the bridge). */
const TASKS_RUNNING_TIMEOUT_MS = 60_000;
const PROBE_PORT = 7000;

/**
 * npm run cluster:up / cluster:down: three dockerds in namespaces of their own form one swarm,
 * a service's replicas spread over all three, each node pulls the image from the cluster's
 * registry, tasks on different nodes reach each other over an overlay network, and down leaves
 * nothing behind while the default engine and its single-node swarm go on untouched.
 */
describe('the local three-node swarm (docker/cluster.sh)', () => {
  const suffix = randomBytes(3).toString('hex');
  const probeTag = `fopflow-cluster-probe:${suffix}`;
  let cluster: ClusterSettings;
  let defaultSwarm: string;
  let image: string;

  const manager = (args: string[]) => dockerAt(cluster.dockerHost, args);

  beforeAll(() => {
    const problem = clusterToolsProblem();
    if (problem) throw new Error(problem);
    defaultSwarm = dockerAt(undefined, ['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}']);
    // No platform images: this suite's own image is under 1 MB, so the run stays short.
    clusterScript(['up'], { FOPFLOW_CLUSTER_IMAGES: '' });
    cluster = clusterSettings();
    buildProbeImage(probeTag);
    clusterScript(['push', probeTag]);
    image = `${cluster.registry}/${probeTag}`;
  }, 240_000);

  afterAll(() => {
    // Idempotent: after the last test it finds nothing; after a failure it cleans up.
    clusterScript(['down']);
    try {
      dockerAt(undefined, ['rmi', probeTag]);
    } catch {
      // Never built.
    }
  }, 120_000);

  it('runs up twice without harm and has three Ready nodes, one a manager', () => {
    clusterScript(['up'], { FOPFLOW_CLUSTER_IMAGES: '' });
    const nodes = manager(['node', 'ls', '--format', '{{.Status}} {{.ManagerStatus}}']).split('\n');
    expect(nodes).toHaveLength(3);
    expect(nodes.filter((node) => node.startsWith('Ready'))).toHaveLength(3);
    expect(nodes.filter((node) => node.includes('Leader'))).toHaveLength(1);
    // Each node is its own engine, each in the swarm.
    const ids = Object.values(cluster.nodes).map((socket) => dockerAt(socket, ['info', '--format', '{{.Swarm.NodeID}}']));
    expect(new Set(ids).size).toBe(3);
  }, 120_000);

  it('spreads a 3-replica service over the three nodes, each pulling the image from the cluster registry', async () => {
    manager(['network', 'create', '--driver', 'overlay', '--attachable', `probe-${suffix}`]);
    manager([
      'service', 'create', '--detach', '--name', `probe-${suffix}`, '--replicas', '3',
      '--placement-pref', 'spread=node.id', '--network', `probe-${suffix}`, '--endpoint-mode', 'dnsrr', image,
    ]);
    const running = await waitForRunningTasks(`probe-${suffix}`, 3);
    expect(new Set(running.map((task) => task.node)).size).toBe(3);

    // Every node's engine holds the image under the cluster registry's name: it pulled it there.
    for (const socket of Object.values(cluster.nodes)) {
      expect(dockerAt(socket, ['image', 'ls', '--format', '{{.Repository}}'])).toContain(`${cluster.registry}/fopflow-cluster-probe`);
    }

    // Overlay networking between nodes: from worker1's task, each task answers with its container's host name.
    const here = dockerAt(cluster.nodes.worker1, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=probe-${suffix}`]);
    expect(here).toMatch(/^[0-9a-f]{12}$/);
    const answers = running.map((task) => dockerAt(cluster.nodes.worker1, ['exec', here, '/probe', 'get', task.address, String(PROBE_PORT)]));
    expect(answers.sort()).toEqual(running.map((task) => task.container.slice(0, 12)).sort());
  }, TASKS_RUNNING_TIMEOUT_MS + 30_000);

  it("runs the scaler's swarm runtime against the manager's socket: instances spread, pinned to the registry's digest", async () => {
    const runtime = new SwarmRuntime({ docker: new Docker({ socketPath: cluster.dockerHost.replace('unix://', '') }), spreadOver: ['node.id'] });
    const pool = `cl${suffix}`;
    try {
      const spec = { pool, version: '1', image, commands: [], env: {}, graceMs: 1000 };
      for (let i = 0; i < 3; i++) await runtime.start(spec);
      const service = JSON.parse(manager(['service', 'inspect', `fopflow-${pool}-1`]))[0];
      // Not on the manager: resolved through the registry, so every node runs the same bytes.
      expect(service.Spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry}/fopflow-cluster-probe@sha256:[0-9a-f]{64}$`));
      expect(service.Spec.TaskTemplate.Placement.Preferences).toEqual([{ Spread: { SpreadDescriptor: 'node.id' } }]);
      const running = await waitForRunningTasks(`fopflow-${pool}-1`, 3);
      expect(new Set(running.map((task) => task.node)).size).toBe(3);
      expect((await runtime.list(pool)).map((instance) => instance.host).sort()).toEqual(running.map((task) => task.node).sort());
    } finally {
      await runtime.close();
    }
    expect(manager(['service', 'ls', '-q', '--filter', `name=fopflow-${pool}-1`])).toBe('');
  }, TASKS_RUNNING_TIMEOUT_MS + 60_000);

  it('cluster:down leaves nothing behind, and the default engine keeps its swarm', async () => {
    clusterScript(['down']);
    expect(clusterTraces()).toEqual([]);
    await expect(fetch('http://127.0.0.1:5100/v2/', { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(dockerAt(undefined, ['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}'])).toBe(defaultSwarm);
    expect(defaultSwarm).toMatch(/^active /);
    // Down twice is fine too.
    clusterScript(['down']);
  }, 120_000);

  /** The service's running tasks: node, overlay address and container (its id, as the task's node sees it). */
  async function waitForRunningTasks(service: string, count: number) {
    const deadline = Date.now() + TASKS_RUNNING_TIMEOUT_MS;
    for (;;) {
      const ids = manager(['service', 'ps', '-q', '--filter', 'desired-state=running', service]).split('\n').filter(Boolean);
      const tasks = ids.map((id) => JSON.parse(manager(['inspect', id]))[0] as SwarmTask);
      const running = tasks.filter((task) => task.Status.State === 'running');
      if (running.length === count) {
        return running.map((task) => ({
          node: task.NodeID,
          // On the overlay network, when the service has one.
          address: (task.NetworksAttachments ?? []).flatMap((attachment) => attachment.Addresses)[0]?.split('/')[0] ?? '',
          container: task.Status.ContainerStatus.ContainerID,
        }));
      }
      if (Date.now() > deadline) {
        throw new Error(`${running.length} of ${count} tasks running after ${TASKS_RUNNING_TIMEOUT_MS} ms: ${JSON.stringify(tasks.map((task) => task.Status))}`);
      }
      await sleep(500);
    }
  }
});

interface SwarmTask {
  NodeID: string;
  Status: { State: string; Err?: string; ContainerStatus: { ContainerID: string } };
  NetworksAttachments?: Array<{ Addresses: string[] }>;
}
