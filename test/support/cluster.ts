import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Where docker/cluster.sh up writes how to reach the cluster. */
const CLUSTER_ENV_FILE = '/run/fopflow-cluster/cluster.env';
/** Up and down each take seconds; a stuck one fails instead of hanging the run. */
const SCRIPT_TIMEOUT_MS = 150_000;

/** The three-node swarm's names and addresses, as docker/cluster.sh up wrote them. */
export interface ClusterSettings {
  /** The manager's engine: DOCKER_HOST for the scaler and the docker CLI. */
  dockerHost: string;
  /** Registry host:port every node pulls from. */
  registry: string;
  /** The host's address on the cluster bridge, reachable from every node. */
  hostIp: string;
  /** Each node's own engine, by node name (manager, worker1, worker2). */
  nodes: Record<string, string>;
}

/** Tools the cluster needs beyond the e2e suites' own; a missing one fails the suite, never skips it. */
export function clusterToolsProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'the cluster suite needs root (network namespaces and dockerd): npm test runs as root in CI';
  const missing = ['ip', 'nsenter', 'iptables', 'dockerd', 'docker', 'docker-registry', 'gcc'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return undefined;
  return `the cluster suite needs ${missing.join(', ')}: apt-get install -y iproute2 util-linux iptables docker.io docker-registry build-essential`;
}

/** Runs docker/cluster.sh with `args`; its output goes to the test's. */
export function clusterScript(args: string[], env: Record<string, string> = {}): void {
  execFileSync('bash', ['docker/cluster.sh', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
    timeout: SCRIPT_TIMEOUT_MS,
  });
}

export function clusterSettings(): ClusterSettings {
  const values = Object.fromEntries(
    readFileSync(CLUSTER_ENV_FILE, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const nodes = Object.fromEntries((values.FOPFLOW_CLUSTER_NODES ?? '').split(' ').map((pair: string) => pair.split(/=(.*)/s, 2)));
  return { dockerHost: values.DOCKER_HOST, registry: values.FOPFLOW_CLUSTER_REGISTRY, hostIp: values.FOPFLOW_CLUSTER_HOST_IP, nodes };
}

/** The docker CLI against one engine (a node's socket; the default engine when `host` is undefined); trimmed output. */
export function dockerAt(host: string | undefined, args: string[]): string {
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  const hostArgs = host ? ['-H', host] : [];
  return execFileSync('docker', [...hostArgs, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Builds the suite's task image on the default engine: test/support/cluster/probe.c, compiled
 * statically, alone in an image FROM scratch (under 1 MB to push and pull). Answers its tag.
 */
export function buildProbeImage(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-cluster-probe-'));
  try {
    execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'probe'), join(__dirname, 'cluster', 'probe.c')], { stdio: 'inherit' });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY probe /probe\nENTRYPOINT ["/probe"]\n');
    dockerAt(undefined, ['build', '-q', '-t', tag, dir]);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What down must leave no trace of: the cluster's namespaces, links, iptables rules, processes and directories. */
export function clusterTraces(): string[] {
  const traces: string[] = [];
  const sh = (command: string) => execFileSync('sh', ['-c', command], { encoding: 'utf8' }).trim();
  const netns = sh('ip netns list | grep fopcl- || true');
  if (netns) traces.push(`netns: ${netns}`);
  const links = sh("ip -o link show | grep -E ' (fopcl0|fc-[a-z0-9]+)[:@]' || true");
  if (links) traces.push(`links: ${links}`);
  const rules = sh('iptables -S | grep -F fopflow-cluster || true');
  if (rules) traces.push(`iptables: ${rules}`);
  const processes = clusterProcesses();
  if (processes.length) traces.push(`processes: ${processes.join('; ')}`);
  const dirs = sh('ls -d /run/fopflow-cluster /var/lib/fopflow-cluster 2>/dev/null || true');
  if (dirs) traces.push(`directories: ${dirs}`);
  const mounts = sh('findmnt -rn -o TARGET | grep -e /run/fopflow-cluster -e /var/lib/fopflow-cluster || true');
  if (mounts) traces.push(`mounts: ${mounts}`);
  return traces;
}

/** Command lines of running processes that name the cluster's directories (its dockerds, containerds, shims). */
function clusterProcesses(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return ''; // gone meanwhile
      }
    })
    .filter((command) => command.includes('/run/fopflow-cluster/') || command.includes('/var/lib/fopflow-cluster'));
}
