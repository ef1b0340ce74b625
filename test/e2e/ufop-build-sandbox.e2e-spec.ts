import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import { AppProcess, Platform, startApp, startPlatform } from '../support/platform';
import { freePort, waitFor } from '../support/ports';
import { bridgeGateway } from '../../libs/ufop/src/testing/misbehaving-ufop.fixture';
import { writeTar } from '../../libs/ufop/src/build/tar-archive';
import { UfopBuilder } from '../../libs/ufop/src/build/ufop.builder';

/**
 * UFOP builds are confined: from inside a build step, the platform's Redis (as a container on
 * the engine's bridge sees it), the engine's socket and every route out are out of reach, and
 * each step runs under the configured memory and CPU limits; a build past its time limit is
 * stopped and recorded failed. A control build on the bridge network shows the probe does reach
 * that Redis when a build is not confined.
 */

const ADMIN = 'admin-token-for-build-sandbox';
const REGISTRY = '127.0.0.1:5000';
const BUILD_MEMORY_BYTES = 256 * 1024 * 1024;
const BUILD_CPUS = 0.5;
const BUILD_TIMEOUT_MS = 30_000;

/**
 * What a hostile build step would try, reported line by line. Never aimed at link-local
 * addresses: a step without routes cannot reach them, and the route count shows it.
 */
const PROBE_SCRIPT = `#!/bin/bash
gateway="$1"; redis_port="$2"
if answer=$(timeout 5 bash -c "exec 3<>/dev/tcp/$gateway/$redis_port && printf 'PING\\r\\n' >&3 && head -c 5 <&3" 2>/dev/null); then
  echo "probe redis: reached $(echo "$answer" | tr -d '\\r\\n')"
else
  echo "probe redis: could not connect"
fi
if [ -e /var/run/docker.sock ]; then echo "probe docker socket: present"; else echo "probe docker socket: absent"; fi
if timeout 5 bash -c "exec 3<>/dev/tcp/$gateway/2375" 2>/dev/null; then echo "probe docker tcp: reached"; else echo "probe docker tcp: could not connect"; fi
echo "probe routes: $(($(wc -l < /proc/net/route) - 1))"
echo "probe memory: $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
echo "probe cpu: $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)")"
`;

const upload = (files: Record<string, string>): Buffer =>
  gzipSync(writeTar(Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text), mode: 0o755 }))));

const probeUpload = (gateway: string, redisPort: number): Buffer =>
  upload({
    'probe.sh': PROBE_SCRIPT,
    'ufop.yaml': `image: fopflow/debian:bookworm\nbuild_script:\n  - bash probe.sh ${gateway} ${redisPort}\nrun: exec sleep infinity\n`,
  });

/** A Redis on the host's bridge address, where any container on the default bridge reaches it. */
async function startBridgeRedis(gateway: string): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-bridge-redis-'));
  // Protected mode would answer -DENIED to any other address: this Redis stands for one that serves containers.
  const child = spawn('redis-server', ['--port', String(port), '--bind', gateway, '--protected-mode', 'no', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await waitFor(`redis-server on ${gateway}:${port}`, async () => {
    const { connect } = await import('node:net');
    return new Promise<boolean>((resolve) => {
      const socket = connect(port, gateway, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  });
  return { port, child, dir };
}

describe('UFOP builds are confined (real Docker)', () => {
  const docker = new Docker();
  let platform: Platform;
  let scaler: AppProcess;
  let gateway: string;
  let redis: Awaited<ReturnType<typeof startBridgeRedis>>;
  let dir: string;
  const images: string[] = [];

  const operator = (method: string, path: string, body?: Buffer | string, type = 'application/json') =>
    fetch(`${platform.url}${path}`, { method, body, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': type } });

  /** Registers `name`, uploads `tarball` and waits for the build to end; answers its version record and log. */
  const build = async (name: string, tarball: Buffer) => {
    expect((await operator('POST', '/v1/ufops', JSON.stringify({ name }))).status).toBe(201);
    const queued = await operator('POST', `/v1/ufops/${name}/builds`, tarball, 'application/gzip');
    expect(queued.status).toBe(202);
    let version: { version: string; state: string; error?: string; image?: string } | undefined;
    await waitFor(
      `the build of ${name} to end`,
      async () => {
        const { items } = (await (await operator('GET', `/v1/ufops/${name}/versions`)).json()) as { items: NonNullable<typeof version>[] };
        version = items[0];
        return version !== undefined && (version.state === 'ready' || version.state === 'failed');
      },
      BUILD_TIMEOUT_MS + 90_000,
    );
    const { lines } = (await (await operator('GET', `/v1/ufops/${name}/versions/${version!.version}/log`)).json()) as { lines: string[] };
    if (version!.image) images.push(version!.image);
    return { version: version!, log: lines.join('\n') };
  };

  beforeAll(async () => {
    await docker.ping().catch(() => {
      throw new Error("these tests need a Docker engine: run 'bash docker/base-image.sh' as root (it starts dockerd and builds the base images)");
    });
    const registry = await fetch(`http://${REGISTRY}/v2/`).catch(() => undefined);
    if (registry?.status !== 200) throw new Error(`these tests need the local registry on ${REGISTRY}: run 'bash docker/registry.sh'`);
    gateway = await bridgeGateway(docker);
    redis = await startBridgeRedis(gateway);
    dir = mkdtempSync(join(tmpdir(), 'fopflow-build-sandbox-'));
    const pools = join(dir, 'pools.json');
    // No official instances: only the builder of the scaler is wanted here.
    writeFileSync(pools, JSON.stringify({ pools: { image: { commands: ['imageView2'], minInstances: 0, maxInstances: 1 } } }));
    const env = {
      FOPFLOW_ADMIN_TOKEN: ADMIN,
      FOPFLOW_POOLS_FILE: pools,
      FOPFLOW_UFOP_REGISTRY: REGISTRY,
      FOPFLOW_UFOP_BUILD_MEMORY_BYTES: String(BUILD_MEMORY_BYTES),
      FOPFLOW_UFOP_BUILD_CPUS: String(BUILD_CPUS),
      FOPFLOW_UFOP_BUILD_TIMEOUT_MS: String(BUILD_TIMEOUT_MS),
    };
    platform = await startPlatform(env, []);
    scaler = startApp('scaler', { ...env, REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: platform.dataDir });
  }, 120_000);

  afterAll(async () => {
    await scaler?.stop();
    await platform?.stop();
    redis?.child.kill('SIGKILL');
    if (redis) rmSync(redis.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const image of images) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  });

  it('control: a build step on the bridge network does reach that Redis', async () => {
    const builder = new UfopBuilder({ docker, buildNetwork: 'bridge' });
    const result = await builder.build({ owner: `control${randomBytes(3).toString('hex')}`, name: 'probe', version: 'v1', tarball: probeUpload(gateway, redis.port) });
    images.push(result.image);
    expect(result.logs).toContain('probe redis: reached +PONG');
  }, 120_000);

  it('a platform build reaches neither Redis, nor the engine, nor any route, and runs within its memory and CPU limits', async () => {
    const { version, log } = await build('probe', probeUpload(gateway, redis.port));
    expect(version.state).toBe('ready');
    expect(log).toMatch(/^probe redis: could not connect$/m);
    expect(log).toMatch(/^probe docker socket: absent$/m);
    expect(log).toMatch(/^probe docker tcp: could not connect$/m);
    expect(log).toMatch(/^probe routes: 0$/m);
    expect(log).toMatch(new RegExp(`^probe memory: ${BUILD_MEMORY_BYTES}$`, 'm'));
    expect(log).toMatch(/^probe cpu: 50000 100000$/m);
  }, BUILD_TIMEOUT_MS + 120_000);

  it('a build past its time limit is stopped, its step killed, and the version recorded failed saying why', async () => {
    const token = `slow-${randomBytes(4).toString('hex')}`;
    const { version, log } = await build('slow', upload({ 'ufop.yaml': `image: fopflow/debian:bookworm\nbuild_script:\n  - sleep 600; echo ${token}\nrun: exec sleep infinity\n` }));
    expect(version.state).toBe('failed');
    expect(version.error).toMatch(new RegExp(`build_script\\[0\\].*sleep 600.*took longer than buildTimeoutMs ${BUILD_TIMEOUT_MS} and was stopped`));
    expect(log).toMatch(/build failed: .*took longer than buildTimeoutMs/);
    await waitFor('the build step container to be gone', async () => {
      const running = await docker.listContainers();
      return !running.some((container) => container.Command.includes(token));
    });
  }, BUILD_TIMEOUT_MS + 120_000);
});
