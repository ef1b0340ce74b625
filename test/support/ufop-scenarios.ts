import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import sharp from 'sharp';
import { ApiClient } from './api-client';
import { AppProcess, Platform, startApp, startSharedPlatform } from './platform';
import { waitFor } from './ports';
import { operationManager, sdkCall } from './qiniu-sdk';
import { bridgeGateway, execNodeJson } from '../../libs/ufop/src/testing/misbehaving-ufop.fixture';
import { CommandCounts } from './queues';
import type { RuntimeSetup } from './scaler-scenarios';
import { commandPool } from '../../libs/ufop/src/registry/command.registry';

/**
 * Custom commands end to end, on a real Docker engine and a real local registry: a user
 * registers a UFOP, builds it from a directory, resizes it and runs it from fop URLs and async
 * jobs; upgrades it under load; a broken build and an out-of-memory program fail cleanly; an
 * operator's third-party service runs behind the outbound guard.
 */

const ROOT = join(__dirname, '..', '..');
const AK = 'ak-ufop-owner';
const SK = 'sk-ufop-owner-secret';
const OTHER_AK = 'ak-ufop-other';
const OTHER_SK = 'sk-ufop-other-secret';
const ADMIN = 'admin-token-for-ufop-tests';
const REGISTRY = '127.0.0.1:5000';
const SEPIA_DIR = join(ROOT, 'libs', 'ufop', 'examples', 'sepia-node');
const MISBEHAVING_DIR = join(ROOT, 'libs', 'ufop', 'src', 'testing', 'misbehaving');

interface Live {
  id: string;
  version: string;
  state: string;
}

interface Cli {
  code: number;
  out: string;
}

/** A runtime the UFOP scenarios run on: the scaler scenarios' setup, without killing instances. */
export type UfopRuntimeSetup = Omit<RuntimeSetup, 'kill'>;

/** The UFOPs the scenarios register, and their pools (what a runtime's cleanup removes). */
const UFOP_TEST_COMMANDS = ['my-sepia', 'hog', 'hang', 'shout'];
export const UFOP_TEST_POOLS = ['image', 'av', ...UFOP_TEST_COMMANDS.map((name) => commandPool({ kind: 'ufop', name })), commandPool({ kind: 'remote', name: 'ocr' })];

export function describeUfopScenarios(runtime: UfopRuntimeSetup): void {
describe(`custom commands (UFOPs and third-party services) on the ${runtime.name} runtime`, () => {
  const docker = new Docker();
  let platform: Platform;
  let scaler: AppProcess;
  let owner: ApiClient;
  let other: ApiClient;
  let dir: string;

  /**
   * Runs the built fopctl as a user would, signed with `key` (or the admin token), in `dir`;
   * `viaNpm`: through the README's alias, `npm --prefix <checkout> run fopctl --`.
   */
  const fopctl = async (args: string[], key: { ak: string; sk: string } | 'admin' = { ak: AK, sk: SK }, viaNpm = false): Promise<Cli> => {
    const env = {
      ...process.env,
      FOPFLOW_URL: platform.url,
      ...(key === 'admin' ? { FOPFLOW_ADMIN_TOKEN: ADMIN } : { FOPFLOW_ACCESS_KEY: key.ak, FOPFLOW_SECRET_KEY: key.sk }),
    };
    const [file, prefix] = viaNpm ? ['npm', ['--prefix', ROOT, 'run', '--silent', 'fopctl', '--']] : [process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js')]];
    try {
      const { stdout, stderr } = await promisify(execFile)(file, [...prefix, ...args], { env, cwd: dir });
      return { code: 0, out: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  };
  const live = async (name: string): Promise<Live[]> => (await owner.json<{ live: Live[] }>('GET', `/v1/ufops/${name}`)).body.live;
  const ready = async (name: string) => (await live(name)).filter((instance) => instance.state === 'ready');
  const sandboxes = async (name: string) => docker.listContainers({ all: true, filters: { label: [`fopflow.ufop.name=${name}`] } });
  let queueCounts: CommandCounts;
  const counts = (command: string) => queueCounts.of(command);
  const warmth = async (image: Buffer) => {
    const { channels } = await sharp(image).stats();
    return { red: channels[0].mean, green: channels[1].mean, blue: channels[2].mean };
  };

  beforeAll(async () => {
    await docker.ping().catch(() => {
      throw new Error("these tests need a Docker engine: run 'bash docker/base-image.sh' as root (it starts dockerd and builds the base images)");
    });
    const registry = await fetch(`http://${REGISTRY}/v2/`).catch(() => undefined);
    if (registry?.status !== 200) throw new Error(`these tests need the local registry on ${REGISTRY}: run 'bash docker/registry.sh'`);

    dir = mkdtempSync(join(tmpdir(), 'fopflow-ufop-'));
    const pools = join(dir, 'pools.json');
    writeFileSync(
      pools,
      JSON.stringify({
        pools: {
          image: { commands: ['imageView2', 'imageMogr2', 'imageInfo', 'watermark', 'exif', 'imageAve'], minInstances: 1, maxInstances: 1 },
          av: { commands: ['avthumb', 'vframe', 'avinfo', 'avconcat'], minInstances: 0, maxInstances: 1 },
        },
      }),
    );
    const env = {
      FOPFLOW_KEYS: `${AK}:${SK}:paid,${OTHER_AK}:${OTHER_SK}:paid`,
      FOPFLOW_ADMIN_TOKEN: ADMIN,
      FOPFLOW_POOLS_FILE: pools,
      FOPFLOW_JOB_LOCK_MS: '3000',
      FOPFLOW_UFOP_REGISTRY: REGISTRY,
      // The third-party service of the last test listens on the loopback.
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
    };
    await runtime.prepare?.();
    platform = await startSharedPlatform(env, runtime.shareDataDir);
    queueCounts = new CommandCounts(platform.redis.url);
    owner = new ApiClient(platform.url, AK, SK);
    other = new ApiClient(platform.url, OTHER_AK, OTHER_SK);
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 60, g: 110, b: 200 } } }).jpeg().toBuffer();
    expect((await owner.upload('media/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
    expect((await other.upload('theirs/photo.jpg', photo, 'image/jpeg')).status).toBe(200);
    scaler = startApp('scaler', { ...env, REDIS_URL: platform.redis.url, FOPFLOW_DATA_DIR: platform.dataDir, FOPFLOW_SCALER_TICK_MS: '300', ...runtime.scalerEnv(platform) });
    await waitFor('the image pool ready', async () => {
      const { items } = (await (await fetch(`${platform.url}/v1/instances`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as { items: Live[] };
      return items.some((instance) => instance.state === 'ready');
    }, 90_000);
  }, 180_000);

  afterAll(async () => {
    await queueCounts?.close();
    await scaler?.stop();
    // What the scaler and container workers printed, for reading after a failed run.
    const logs = join(ROOT, 'test-logs');
    mkdirSync(logs, { recursive: true });
    if (scaler) writeFileSync(join(logs, `ufop-${runtime.name}.scaler.log`), scaler.output());
    for (const container of await docker.listContainers({ all: true, filters: { label: ['fopflow.pool'] } }).catch(() => [])) {
      const output = await docker.getContainer(container.Id).logs({ stdout: true, stderr: true }).catch(() => Buffer.alloc(0));
      writeFileSync(join(logs, `ufop-${runtime.name}.${container.Names[0].replace(/^\//, '')}.log`), output);
    }
    await runtime.cleanup?.();
    await platform?.stop();
    for (const name of UFOP_TEST_COMMANDS) {
      for (const container of await sandboxes(name).catch(() => [])) await docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers, builds from a directory, pushes to the registry and keeps the build log', async () => {
    expect(await fopctl(['reg', 'my-sepia', '-m', '2', '-f', 'C1M256', '-d', 'a sepia filter'])).toMatchObject({ code: 0, out: expect.stringContaining('my-sepia: registered (ufop, private, C1M256)') });
    expect((await fopctl(['reg', 'my-sepia', '-m', '2'])).out).toMatch(/409 'my-sepia' is already registered/);
    expect((await fopctl(['reg', 'avinfo', '-m', '1'])).out).toMatch(/409 name 'avinfo' is taken by Fopflow itself/);

    const built = await fopctl(['build', 'my-sepia', SEPIA_DIR]);
    expect(built).toMatchObject({ code: 0, out: expect.stringContaining('my-sepia: version 1 is ready and current') });
    expect(built.out).toMatch(/pushed .*\/ufop\/.*-my-sepia:1@sha256:/);

    const versions = await owner.json<{ current: string; items: Array<{ version: string; state: string; image: string }> }>('GET', '/v1/ufops/my-sepia/versions');
    expect(versions.body.current).toBe('1');
    const image = versions.body.items[0].image;
    expect(image).toMatch(new RegExp(`^${REGISTRY}/ufop/[a-z0-9-]+-my-sepia:1$`));
    const repository = image.slice(REGISTRY.length + 1).split(':')[0];
    const tags = (await (await fetch(`http://${REGISTRY}/v2/${repository}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain('1');
    expect((await fopctl(['logs', 'my-sepia'])).out).toMatch(/--> ufop build_script\[0\][\s\S]*\(version 1: ready\)/);
    // Only the owner sees a private command.
    expect((await other.json<{ code: number }>('GET', '/v1/ufops/my-sepia')).status).toBe(404);
  }, 240_000);

  it('runs as a pipeline step of a fop URL and of an async job once resized, private to its owner', async () => {
    expect((await fopctl(['resize', 'my-sepia', '-n', '2'])).out).toMatch(/my-sepia: pinned at 2/);
    await waitFor('two ready my-sepia instances', async () => (await ready('my-sepia')).length === 2, 120_000);
    expect((await sandboxes('my-sepia')).filter((container) => container.State === 'running').length).toBe(4);

    const answer = await fetch(`${platform.url}/media/photo.jpg?imageView2/2/w/200|my-sepia/level/5`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/jpeg');
    const result = Buffer.from(await answer.arrayBuffer());
    expect((await sharp(result).metadata()).width).toBe(200);
    // The source is blue; sepia makes it warm.
    const colour = await warmth(result);
    expect(colour.red).toBeGreaterThan(colour.blue);

    const job = await owner.json<{ id: string }>('POST', '/v1/jobs', {
      source: { bucket: 'media', key: 'photo.jpg' },
      fops: [`my-sepia/level/2|saveas/${Buffer.from('media:sepia.jpg').toString('base64url')}`],
    });
    expect(job.status).toBe(202);
    await waitFor('the job done', async () => (await owner.json<{ code: number }>('GET', `/v1/jobs/${job.body.id}`)).body.code === 0, 60_000);
    const saved = await fetch(`${platform.url}/media/sepia.jpg`);
    expect(saved.status).toBe(200);
    // Level 2 of 5 only leans towards sepia: warmer than the source (red 60, blue 200), not yet red.
    const savedColour = await warmth(Buffer.from(await saved.arrayBuffer()));
    expect(savedColour.red - savedColour.blue).toBeGreaterThan(60 - 200 + 40);

    // From inside a running instance of the platform: Redis and the gateway are out of reach,
    // on the loopback (the sandbox's own) and through the engine's bridge (no route at all).
    const handler = (await sandboxes('my-sepia')).find((container) => container.Labels['fopflow.ufop.role'] === 'handler' && container.State === 'running')!;
    const bridge = await bridgeGateway(docker);
    const ports = [new URL(platform.redis.url).port, new URL(platform.url).port];
    const probe = `const net = require('node:net');
      const tryConnect = (host, port) => new Promise((done) => {
        const socket = net.connect({ host, port: Number(port), timeout: 3000 });
        socket.on('connect', () => { socket.destroy(); done('connected'); });
        socket.on('timeout', () => { socket.destroy(); done('timeout'); });
        socket.on('error', (error) => done(error.code));
      });
      (async () => {
        const [bridge, ...ports] = process.argv.slice(1);
        const seen = {};
        for (const port of ports) for (const host of ['127.0.0.1', bridge]) seen[host + ':' + port] = await tryConnect(host, port);
        seen.interfaces = require('node:fs').readdirSync('/sys/class/net');
        console.log(JSON.stringify(seen));
      })();`;
    const reach = await execNodeJson<Record<string, string | string[]>>(docker, handler.Id, probe, [bridge, ...ports]);
    expect(reach.interfaces).toEqual(['lo']);
    for (const port of ports) {
      expect(reach[`127.0.0.1:${port}`]).toBe('ECONNREFUSED');
      expect(reach[`${bridge}:${port}`]).toBe('ENETUNREACH');
    }

    // Qiniu's pfop, through Qiniu's own SDK, as a migrating user's code would call it.
    const { operations } = operationManager(platform.url, AK, SK);
    const pfop = await sdkCall((done) =>
      operations.pfop('media', 'photo.jpg', [`imageView2/2/w/120|my-sepia/level/4|saveas/${Buffer.from('media:pfop-sepia.jpg').toString('base64url')}`], '', { force: true }, done),
    );
    expect(pfop.respInfo.statusCode).toBe(200);
    const persistentId = (pfop.respBody as { persistentId: string }).persistentId;
    await waitFor('the pfop done', async () => ((await sdkCall((done) => operations.prefop(persistentId, done))).respBody as { code: number }).code === 0, 60_000);
    const pfopResult = Buffer.from(await (await fetch(`${platform.url}/media/pfop-sepia.jpg`)).arrayBuffer());
    expect((await sharp(pfopResult).metadata()).width).toBe(120);

    // What the programs printed, per instance, for their owner.
    const output = await fopctl(['logs', 'my-sepia', '--run']);
    expect(output.out.match(/^--- \S+ \(version 1, /gm)).toHaveLength(2);
    expect(output.out).toMatch(/sepia-node listening on 9100/);

    // The program's own 400, named.
    const bad = await fetch(`${platform.url}/media/photo.jpg?my-sepia/level/9`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/level/);
    // Another account's bucket may not use a private command.
    const foreign = await fetch(`${platform.url}/theirs/photo.jpg?my-sepia/level/3`);
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: string }).error).toMatch(/my-sepia: a private command of another account/);
  }, 180_000);

  it('upgrades to a new build under load with no failed job, and rolls back the same way', async () => {
    const v2 = join(dir, 'sepia-v2');
    cpSync(SEPIA_DIR, v2, { recursive: true });
    writeFileSync(join(v2, 'VERSION'), '2\n');
    const built = await fopctl(['build', 'my-sepia', v2]);
    expect(built).toMatchObject({ code: 0, out: expect.stringContaining('version 2 is ready; run it with fopctl upgrade my-sepia') });
    expect((await live('my-sepia')).every((instance) => instance.version === '1')).toBe(true);

    const before = await counts('my-sepia');
    const submitted: Promise<unknown>[] = [];
    for (let n = 0; n < 40; n++) {
      submitted.push(owner.json('POST', '/v1/jobs', { source: { bucket: 'media', key: 'photo.jpg' }, fops: [`imageView2/2/w/${100 + n}|my-sepia/level/${1 + (n % 5)}`] }));
    }
    expect((await fopctl(['upgrade', 'my-sepia'])).out).toMatch(/my-sepia: upgrading to version 2/);
    await Promise.all(submitted);
    await waitFor('version 2 only, and the load done', async () => {
      const instances = await live('my-sepia');
      const { open } = await counts('my-sepia');
      return open === 0 && instances.length === 2 && instances.every((instance) => instance.version === '2' && instance.state === 'ready');
    }, 180_000);
    expect(await counts('my-sepia')).toMatchObject({ completed: before.completed + 40, failed: before.failed });

    expect((await fopctl(['use-version', 'my-sepia', '1'])).out).toMatch(/moving to version 1/);
    await waitFor('back on version 1', async () => {
      const instances = await live('my-sepia');
      return instances.length === 2 && instances.every((instance) => instance.version === '1' && instance.state === 'ready');
    }, 120_000);
    expect((await fopctl(['versions', 'my-sepia'])).out).toMatch(/^1 \*\s+ready/m);
  }, 300_000);

  it('refuses a bad ufop.yaml at upload and keeps the running version when a build step fails', async () => {
    const broken = join(dir, 'broken');
    cpSync(SEPIA_DIR, broken, { recursive: true });
    writeFileSync(join(broken, 'ufop.yaml'), 'image: fopflow/node:20\nbuild_script:\n  - true\nrun: [not, a, string]\n');
    const refused = await fopctl(['build', 'my-sepia', broken]);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/400 ufop\.yaml line 4/);

    writeFileSync(join(broken, 'ufop.yaml'), 'image: fopflow/node:20\nbuild_script:\n  - test -f server.js\n  - echo about to fail && exit 3\nrun: node server.js\n');
    const failed = await fopctl(['build', 'my-sepia', broken]);
    expect(failed.code).not.toBe(0);
    expect(failed.out).toMatch(/build_script\[1\] \(ufop\.yaml line 4\) failed: echo about to fail && exit 3/);
    const logs = await fopctl(['logs', 'my-sepia']);
    expect(logs.out).toMatch(/about to fail/);
    expect(logs.out).toMatch(/version 3: failed/);
    const versions = await owner.json<{ current: string }>('GET', '/v1/ufops/my-sepia/versions');
    expect(versions.body.current).toBe('1');
    expect((await fetch(`${platform.url}/media/photo.jpg?my-sepia/level/1`)).status).toBe(200);
  }, 180_000);

  it('resized to 0, stops every instance and its sandbox, says so to callers, and autoscales from 0 again', async () => {
    expect((await fopctl(['resize', 'my-sepia', '-n', '0'])).out).toMatch(/pinned at 0/);
    await waitFor('no my-sepia instance', async () => (await live('my-sepia')).length === 0, 90_000);
    await waitFor('no my-sepia sandbox', async () => (await sandboxes('my-sepia')).length === 0, 30_000);
    const answer = await fetch(`${platform.url}/media/photo.jpg?my-sepia/level/4`);
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toMatch(/fopctl resize my-sepia -n 1/);
    // Autoscaled, a waiting request is reason enough to start an instance.
    expect((await fopctl(['resize', 'my-sepia', '--auto'])).out).toMatch(/my-sepia: autoscaling/);
    const fromZero = await fetch(`${platform.url}/media/photo.jpg?my-sepia/level/4`);
    expect(fromZero.status).toBe(200);
    expect((await live('my-sepia')).length).toBeGreaterThanOrEqual(1);
    expect((await fopctl(['unreg', 'my-sepia'])).out).toMatch(/unregistered/);
    await waitFor('unregistered: no my-sepia sandbox', async () => (await sandboxes('my-sepia')).length === 0, 60_000);
    expect((await fetch(`${platform.url}/media/photo.jpg?my-sepia/level/4`)).status).toBe(400);
  }, 150_000);

  it('fails only the job of an instance that runs out of memory, and replaces the instance', async () => {
    expect((await fopctl(['reg', 'hog', '-m', '1', '-f', 'C1M256'])).code).toBe(0);
    expect((await fopctl(['build', 'hog', MISBEHAVING_DIR])).code).toBe(0);
    expect((await fopctl(['resize', 'hog', '-n', '1'])).code).toBe(0);
    await waitFor('a ready hog instance', async () => (await ready('hog')).length === 1, 120_000);
    const [first] = await ready('hog');

    // The fixture's first segment is its verb: `hog` eats memory until the kernel stops it.
    const hogged = await fetch(`${platform.url}/media/photo.jpg?hog/all`);
    expect(hogged.status).toBe(502);
    const error = ((await hogged.json()) as { error: string }).error;
    expect(error).toMatch(/hog was stopped for using more than its 256 MiB memory quota/);

    await waitFor('a new hog instance in its place', async () => {
      const instances = await ready('hog');
      return instances.length === 1 && instances[0].id !== first.id;
    }, 120_000);
    expect(await counts('hog')).toMatchObject({ failed: 1 });
    expect((await fopctl(['unreg', 'hog'])).code).toBe(0);
  }, 300_000);

  it('fails only the job of an instance that hangs past its time limit, and replaces the instance', async () => {
    // The fixture's first segment is its verb: registered as `hang`, it never answers.
    expect((await fopctl(['reg', 'hang', '-m', '1', '-f', 'C1M256', '--timeout', '1500'])).code).toBe(0);
    expect((await fopctl(['build', 'hang', MISBEHAVING_DIR])).code).toBe(0);
    expect((await fopctl(['resize', 'hang', '-n', '1'])).code).toBe(0);
    await waitFor('a ready hang instance', async () => (await ready('hang')).length === 1, 120_000);
    const [first] = await ready('hang');
    const hung = await fetch(`${platform.url}/media/photo.jpg?hang/forever`);
    expect(hung.status).toBe(504);
    expect(((await hung.json()) as { error: string }).error).toMatch(/hang did not answer within 1500 ms/);
    await waitFor('a new hang instance in its place', async () => {
      const instances = await ready('hang');
      return instances.length === 1 && instances[0].id !== first.id;
    }, 120_000);
    await waitFor('the hung sandbox gone', async () => (await sandboxes('hang')).filter((c) => c.Labels['fopflow.ufop.instance'] === first.id).length === 0, 60_000);
    expect(await counts('hang')).toMatchObject({ failed: 1 });
    expect((await fopctl(['unreg', 'hang'])).code).toBe(0);
  }, 300_000);

  it('walks the README: init, reg, build, resize, put, and a working custom fop URL', async () => {
    // Through the README's alias, from a directory of the user's: relative paths are theirs.
    const user = (args: string[]) => fopctl(args, { ak: AK, sk: SK }, true);
    expect((await user(['init', 'shout', '--name', 'shout'])).out).toMatch(/wrote .*ufop\.yaml.*\nnext: fopctl reg shout -m 2 && fopctl build shout/s);
    expect(existsSync(join(dir, 'shout', 'ufop.yaml'))).toBe(true);
    expect((await user(['init', 'shout', '--name', 'shout'])).code).not.toBe(0);
    expect((await user(['reg', 'shout', '-m', '2'])).code).toBe(0);
    expect((await user(['build', 'shout', './shout'])).out).toMatch(/shout: version 1 is ready and current/);
    expect((await user(['resize', 'shout', '-n', '1'])).code).toBe(0);
    writeFileSync(join(dir, 'hello.txt'), 'Hello, fop');
    expect((await user(['put', 'notes/hello.txt', 'hello.txt'])).out).toMatch(/notes\/hello\.txt: 10 bytes/);
    const answer = await fetch(`${platform.url}/notes/hello.txt?shout/case/upper`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('HELLO, FOP');
    const refused = await fetch(`${platform.url}/notes/hello.txt?shout/case/title`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/case must be upper or lower/);
    expect((await fopctl(['unreg', 'shout'])).code).toBe(0);
  }, 180_000);

  it("runs an operator's third-party service with its auth header, behind the outbound guard", async () => {
    const seen: Array<{ url: string; auth?: string; body: Buffer; at: number }> = [];
    const service: Server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization, body: Buffer.concat(chunks), at: Date.now() });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${Buffer.concat(chunks).length} bytes`);
      });
    });
    await new Promise<void>((done) => service.listen(0, '127.0.0.1', done));
    const port = (service.address() as AddressInfo).port;
    try {
      const userTry = await fopctl(['reg', 'ocr', '-m', '1', '--url', `http://127.0.0.1:${port}/run`]);
      expect(userTry.out).toMatch(/403 remote: only the operator registers third-party services/);
      const registered = await fopctl(['reg', 'ocr', '-m', '1', '--url', `http://127.0.0.1:${port}/run`, '--header', 'Authorization: Bearer s3cret', '--rate', '5'], 'admin');
      expect(registered.out).toMatch(/ocr: registered \(remote, public/);
      expect((await fopctl(['info', 'ocr'], 'admin')).out).not.toMatch(/s3cret/);

      const answer = await fetch(`${platform.url}/media/photo.jpg?ocr/lang/en`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toMatch(/^\d+ bytes$/);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ url: '/run?cmd=ocr%2Flang%2Fen', auth: 'Bearer s3cret' });
      expect(seen[0].body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

      // 5 a second, as BullMQ's limiter counts them (fixed one-second windows): of 12 requests
      // the 11th is at least two windows after the 1st's, whatever the number of instances.
      seen.length = 0;
      const jobs = Array.from({ length: 12 }, (_, n) => ({ source: { bucket: 'media', key: 'photo.jpg' }, fops: [`ocr/page/${n}`] }));
      const { body } = await owner.json<{ ids: string[] }>('POST', '/v1/jobs/batch', { jobs });
      await waitFor('the 12 calls done', async () => {
        const states = await Promise.all(body.ids.map(async (id) => (await owner.json<{ code: number }>('GET', `/v1/jobs/${id}`)).body.code));
        return states.every((code) => code === 0);
      }, 60_000);
      expect(seen).toHaveLength(12);
      const arrivals = seen.map((call) => call.at).sort((a, b) => a - b);
      expect(arrivals[10] - arrivals[0]).toBeGreaterThanOrEqual(900);
      expect((await fopctl(['unreg', 'ocr'], 'admin')).code).toBe(0);
    } finally {
      service.close();
    }
  }, 150_000);
});
}
