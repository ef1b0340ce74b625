import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { HandlerError } from '../contract/handler.client';
import { bridgeGateway, buildMisbehavingUfop, execNodeJson, requireSandboxEngine } from '../testing/misbehaving-ufop.fixture';
import { SandboxLimits, sandboxContainerName, UFOP_SANDBOX_LABEL } from './sandbox.containers';
import { UfopSandbox, UfopSandboxOptions } from './ufop.sandbox';

const MIB = 1024 * 1024;
const BUILD_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 90_000;
const HEALTHY_WITHIN_MS = 30_000;
const UFOP = 'misbehaving';
const LIMITS: SandboxLimits = { cpus: 0.5, memoryBytes: 64 * MIB, pidsLimit: 32, tmpfsBytes: 8 * MIB };

/** GET on a sandbox socket, straight from the host: what another process holding the socket could ask. */
function getViaSocket(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('UfopSandbox (real Docker)', () => {
  const docker = new Docker();
  // Fresh names per run: parallel runs and leftovers never share an image or an instance id.
  const run = randomBytes(4).toString('hex');
  const owner = `sandbox${run}`;
  const workDir = mkdtempSync(join(tmpdir(), 'fopflow-sandbox-spec-'));
  const ours = (instanceId: string): boolean => instanceId.startsWith(`spec-${run}-`);
  const images: string[] = [];
  const sandboxes: UfopSandbox[] = [];
  let image: string;
  let serial = 0;

  const options = (overrides: Partial<UfopSandboxOptions> = {}): UfopSandboxOptions => {
    const instanceId = `spec-${run}-${++serial}`;
    return { docker, instanceId, ufop: UFOP, version: 'v1', image, limits: LIMITS, socketDir: join(workDir, instanceId), ...overrides };
  };
  const startSandbox = async (overrides: Partial<UfopSandboxOptions> = {}): Promise<{ sandbox: UfopSandbox; handler: string; options: UfopSandboxOptions }> => {
    const chosen = options(overrides);
    const sandbox = await UfopSandbox.start(chosen);
    sandboxes.push(sandbox);
    await sandbox.waitHealthy(HEALTHY_WITHIN_MS);
    return { sandbox, handler: sandboxContainerName(chosen.instanceId, 'handler'), options: chosen };
  };
  const input = (name: string, data: Buffer): string => {
    const path = join(workDir, name);
    writeFileSync(path, data);
    return path;
  };
  const request = (cmd: string, extra: Partial<Parameters<UfopSandbox['handle']>[0]> = {}): Parameters<UfopSandbox['handle']>[0] => ({
    cmd,
    inputPath: input(`in-${++serial}`, Buffer.from('source bytes')),
    inputMime: 'image/png',
    outputPath: join(workDir, `out-${serial}`),
    timeoutMs: 20_000,
    maxOutputBytes: 16 * MIB,
    ...extra,
  });
  const labelled = (instanceId: string): Promise<Docker.ContainerInfo[]> =>
    docker.listContainers({ all: true, filters: { label: [`${UFOP_SANDBOX_LABEL.instance}=${instanceId}`] } });

  beforeAll(async () => {
    await requireSandboxEngine(docker);
    image = await buildMisbehavingUfop(docker, owner, 'misbehaving');
    images.push(image);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const sandbox of sandboxes) await sandbox.remove().catch(() => undefined);
    // Whatever a failed test left: every sandbox of this run, and nobody else's.
    await UfopSandbox.reap(docker, (instanceId) => !ours(instanceId));
    for (const name of images) await docker.getImage(name).remove({ force: true }).catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }, TEST_TIMEOUT_MS);

  it(
    'streams a source through the socket and back, keeping its type; 4xx keeps the UFOP\'s words, 5xx becomes 502',
    async () => {
      const { sandbox } = await startSandbox();
      const source = randomBytes(3 * MIB);
      const echoed = request('echo/1', { inputPath: input('source.png', source) });
      await expect(sandbox.handle(echoed)).resolves.toEqual({ mime: 'image/png', size: source.length });
      expect(readFileSync(echoed.outputPath).equals(source)).toBe(true);

      const untyped = request('nomime/1');
      await expect(sandbox.handle(untyped)).resolves.toEqual({ mime: 'application/octet-stream', size: 12 });

      const refused = await sandbox.handle(request('fail/level must be 1-5')).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(HandlerError);
      expect(refused).toMatchObject({ status: 400, message: 'misbehaving: level must be 1-5' });

      const broken = await sandbox.handle(request('error/disk on fire')).catch((error: unknown) => error);
      expect(broken).toMatchObject({ status: 502, message: 'misbehaving answered 500: disk on fire' });

      const tooBig = request(`big/${2 * MIB}`, { maxOutputBytes: MIB });
      const limited = await sandbox.handle(tooBig).catch((error: unknown) => error);
      expect(limited).toMatchObject({ status: 502, message: 'misbehaving answered more than the 1 MiB output limit' });
      expect(existsSync(tooBig.outputPath)).toBe(false);

      const controller = new AbortController();
      const cancelled = sandbox.handle(request('hang/1', { signal: controller.signal })).catch((error: unknown) => error);
      const reason = new Error('the job was cancelled');
      setTimeout(() => controller.abort(reason), 200);
      expect(await cancelled).toBe(reason);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gives the program no network but loopback: not the host, not the bridge, not another sandbox',
    async () => {
      const hostConnections: unknown[] = [];
      const listener: Server = createServer((socket) => {
        hostConnections.push(socket.remoteAddress);
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const hostPort = (listener.address() as AddressInfo).port;
      try {
        const first = await startSandbox();
        const second = await startSandbox();
        const gateway = await bridgeGateway(docker);
        expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

        const seen = await execNodeJson<{ interfaces: string[]; routes: string[]; host: string; gateway: string; otherSocket: string; otherDir: boolean; loopback: string }>(
          docker,
          first.handler,
          `
          const fs = require('node:fs'), net = require('node:net'), http = require('node:http');
          const [hostPort, gateway, otherSocket] = process.argv.slice(1);
          const attempt = (options) => new Promise((resolve) => {
            const socket = net.connect(options);
            socket.setTimeout(5000, () => { socket.destroy(); resolve('TIMEOUT'); });
            socket.on('connect', () => { socket.destroy(); resolve('CONNECTED'); });
            socket.on('error', (error) => resolve(error.code));
          });
          const whoami = () => new Promise((resolve, reject) =>
            http.get('http://127.0.0.1:9100/whoami', (res) => { let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve(text)); }).on('error', reject));
          (async () => {
            console.log(JSON.stringify({
              interfaces: fs.readdirSync('/sys/class/net'),
              routes: fs.readFileSync('/proc/net/route', 'utf8').trim().split('\\n').slice(1),
              host: await attempt({ host: '127.0.0.1', port: Number(hostPort) }),
              gateway: await attempt({ host: gateway, port: Number(hostPort) }),
              otherSocket: await attempt({ path: otherSocket }),
              otherDir: fs.existsSync(require('node:path').dirname(otherSocket)),
              loopback: await whoami(),
            }));
          })();
          `,
          [String(hostPort), gateway, second.sandbox.socketPath],
        );
        expect(seen.interfaces).toEqual(['lo']);
        expect(seen.routes).toEqual([]);
        // 127.0.0.1 inside is the sandbox's own loopback: the host's listener is not there.
        expect(seen.host).toBe('ECONNREFUSED');
        expect(hostConnections).toEqual([]);
        // No route at all: the kernel refuses before a packet is built.
        expect(seen.gateway).toBe('ENETUNREACH');
        expect(seen.otherSocket).toBe('ENOENT');
        expect(seen.otherDir).toBe(false);
        // The program on 127.0.0.1:9100 inside is this sandbox's own, never the other's.
        expect(seen.loopback).toBe(await getViaSocket(first.sandbox.socketPath, '/whoami'));
        expect(seen.loopback).not.toBe(await getViaSocket(second.sandbox.socketPath, '/whoami'));
      } finally {
        await new Promise((resolve) => listener.close(resolve));
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'runs the program as 10100 with a read-only root, a small noexec /tmp, no capabilities, and its quotas in its cgroup',
    async () => {
      const { handler } = await startSandbox();
      const seen = await execNodeJson<{
        uid: number;
        gid: number;
        pid1: string[];
        root: string;
        resource: string;
        tmp: string;
        tmpFull: string;
        tmpExec: string;
        self: string[];
        cgroup: Record<string, string>;
      }>(
        docker,
        handler,
        `
        const fs = require('node:fs'), { execFileSync } = require('node:child_process');
        const tmpfsBytes = Number(process.argv[1]);
        const code = (action) => { try { action(); return 'ok'; } catch (error) { return error.code; } };
        const status = (pid) => fs.readFileSync('/proc/' + pid + '/status', 'utf8').split('\\n').filter((line) => /^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):/.test(line)).map((line) => line.replace(/\\s+/g, ' '));
        const tmpFull = code(() => { const chunk = Buffer.alloc(1024 * 1024, 1); for (let written = 0; written <= tmpfsBytes; written += chunk.length) fs.appendFileSync('/tmp/fill', chunk); });
        fs.rmSync('/tmp/fill', { force: true });
        fs.writeFileSync('/tmp/tool', '#!/bin/sh\\necho ran\\n', { mode: 0o755 });
        const read = (path) => { try { return fs.readFileSync(path, 'utf8').trim(); } catch { return undefined; } };
        const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
        const cgroup = v2
          ? { version: '2', memory: read('/sys/fs/cgroup/memory.max'), swap: read('/sys/fs/cgroup/memory.swap.max'), cpu: read('/sys/fs/cgroup/cpu.max'), pids: read('/sys/fs/cgroup/pids.max') }
          : {
              version: '1',
              memory: read('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
              memsw: read('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
              cpu: read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') + ' ' + read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
              pids: read('/sys/fs/cgroup/pids/pids.max'),
            };
        console.log(JSON.stringify({
          uid: process.getuid(),
          gid: process.getgid(),
          pid1: status(1),
          root: code(() => fs.writeFileSync('/escape', 'x')),
          resource: code(() => fs.writeFileSync('/opt/ufop/server.js', 'x')),
          tmp: code(() => fs.writeFileSync('/tmp/scratch', 'x')),
          tmpFull,
          tmpExec: code(() => execFileSync('/tmp/tool')),
          self: status('self'),
          cgroup,
        }));
        `,
        [String(LIMITS.tmpfsBytes)],
      );
      expect(seen.uid).toBe(10100);
      expect(seen.gid).toBe(10100);
      // PID 1 is the program's own process tree root: what holds for the exec holds for it.
      for (const status of [seen.pid1, seen.self]) {
        expect(status).toEqual(
          expect.arrayContaining([
            'Uid: 10100 10100 10100 10100',
            'Gid: 10100 10100 10100 10100',
            'CapPrm: 0000000000000000',
            'CapBnd: 0000000000000000',
            'CapEff: 0000000000000000',
            'NoNewPrivs: 1',
            'Seccomp: 2',
          ]),
        );
      }
      expect(seen.root).toBe('EROFS');
      expect(seen.resource).toBe('EROFS');
      expect(seen.tmp).toBe('ok');
      expect(seen.tmpFull).toBe('ENOSPC');
      expect(seen.tmpExec).toBe('EACCES');
      if (seen.cgroup.version === '2') {
        expect(seen.cgroup).toEqual({ version: '2', memory: String(LIMITS.memoryBytes), swap: '0', cpu: '50000 100000', pids: String(LIMITS.pidsLimit) });
      } else {
        expect(seen.cgroup).toEqual({
          version: '1',
          memory: String(LIMITS.memoryBytes),
          memsw: String(LIMITS.memoryBytes),
          cpu: '50000 100000',
          pids: String(LIMITS.pidsLimit),
        });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'holds the program to its process limit',
    async () => {
      const { handler } = await startSandbox();
      const seen = await execNodeJson<{ running: number; refused: string[] }>(
        docker,
        handler,
        `
        const { spawn } = require('node:child_process');
        const attempts = Number(process.argv[1]) * 2;
        const children = [];
        const refused = [];
        (async () => {
          for (let i = 0; i < attempts; i++) {
            const outcome = await new Promise((resolve) => {
              const child = spawn('sleep', ['30'], { stdio: 'ignore' });
              child.once('spawn', () => resolve(child));
              child.once('error', (error) => resolve(error.code));
            });
            if (typeof outcome === 'string') refused.push(outcome);
            else children.push(outcome);
          }
          for (const child of children) child.kill('SIGKILL');
          console.log(JSON.stringify({ running: children.length, refused }));
        })();
        `,
        [String(LIMITS.pidsLimit)],
      );
      expect(seen.running).toBeLessThan(LIMITS.pidsLimit);
      expect(seen.refused.length).toBeGreaterThan(0);
      expect(new Set(seen.refused)).toEqual(new Set(['EAGAIN']));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reports a program killed for going over its memory quota as such',
    async () => {
      const { sandbox } = await startSandbox();
      const error = await sandbox.handle(request('hog/1')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HandlerError);
      expect(error).toMatchObject({ status: 502, message: 'misbehaving was stopped for using more than its 64 MiB memory quota' });
      await expect(sandbox.exited()).resolves.toMatchObject({ oomKilled: true, exitCode: 137 });
      await expect(sandbox.exitState()).resolves.toMatchObject({ oomKilled: true });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 504 for a program that never answers, and 502 with the exit code for one that exits',
    async () => {
      const { sandbox } = await startSandbox();
      const hung = await sandbox.handle(request('hang/1', { timeoutMs: 1000 })).catch((error: unknown) => error);
      expect(hung).toBeInstanceOf(HandlerError);
      expect(hung).toMatchObject({ status: 504, message: 'misbehaving did not answer within 1000 ms' });
      await expect(sandbox.exitState()).resolves.toBeUndefined();

      const crashed = await sandbox.handle(request('crash/3')).catch((error: unknown) => error);
      expect(crashed).toMatchObject({ status: 502, message: 'misbehaving exited with code 3' });
      await expect(sandbox.exitState()).resolves.toEqual({ oomKilled: false, exitCode: 3, reason: 'misbehaving exited with code 3' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails waitHealthy at once when the program exits while starting, quoting its log',
    async () => {
      const broken = await buildMisbehavingUfop(docker, owner, 'nostart', 'echo cannot open model.bin >&2; exit 7');
      images.push(broken);
      const sandbox = await UfopSandbox.start(options({ image: broken }));
      sandboxes.push(sandbox);
      const error = await sandbox.waitHealthy(HEALTHY_WITHIN_MS).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as Error).message).toMatch(/^misbehaving exited with code 7 before it answered GET \/health\n--- misbehaving log \(last 1 lines\) ---\ncannot open model\.bin$/);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'refuses a missing image by name and leaves nothing behind when a start fails',
    async () => {
      const missing = options({ image: `localhost:5000/ufop/${owner}-absent:v1` });
      await expect(UfopSandbox.start(missing)).rejects.toThrow(`the image of misbehaving v1 ('localhost:5000/ufop/${owner}-absent:v1') is not on this engine`);
      expect(existsSync(missing.socketDir)).toBe(false);

      // A container already holding the handler's name makes the second create fail after the port started.
      const clash = options();
      const squatter = await docker.createContainer({ Image: 'fopflow/node:20', name: sandboxContainerName(clash.instanceId, 'handler'), Cmd: ['true'] });
      try {
        await expect(UfopSandbox.start(clash)).rejects.toThrow(/already exists/);
        expect((await labelled(clash.instanceId)).map((container) => container.Names)).toEqual([]);
        expect(existsSync(clash.socketDir)).toBe(false);
      } finally {
        await squatter.remove({ force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'remove() leaves no container and no socket directory, and may be called again',
    async () => {
      const { sandbox, options: chosen } = await startSandbox();
      expect((await labelled(chosen.instanceId)).map((container) => container.Labels[UFOP_SANDBOX_LABEL.role]).sort()).toEqual(['handler', 'port']);
      await sandbox.remove();
      expect(await labelled(chosen.instanceId)).toEqual([]);
      expect(existsSync(chosen.socketDir)).toBe(false);
      await expect(sandbox.remove()).resolves.toBeUndefined();
      await expect(sandbox.exitState()).resolves.toMatchObject({ exitCode: -1 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reap() removes the sandboxes of dead instances and keeps the live ones',
    async () => {
      const dead = await startSandbox();
      const live = await startSandbox();
      const reaped = await UfopSandbox.reap(docker, (instanceId) => instanceId !== dead.options.instanceId);
      expect(reaped).toEqual([dead.options.instanceId]);
      expect(await labelled(dead.options.instanceId)).toEqual([]);
      expect(existsSync(dead.options.socketDir)).toBe(false);
      expect(await labelled(live.options.instanceId)).toHaveLength(2);
      await expect(live.sandbox.handle(request('echo/1'))).resolves.toEqual({ mime: 'image/png', size: 12 });
    },
    TEST_TIMEOUT_MS,
  );
});
