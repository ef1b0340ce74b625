import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import { writeTar } from './tar-archive';
import { UfopBuilder } from './ufop.builder';
import { UfopBuildError, UfopManifestError, UfopRequestError } from './ufop.errors';

const EXAMPLE_DIR = join(__dirname, '..', 'examples', 'sepia-node');
const BUILD_TIMEOUT_MS = 180_000;

/** The example UFOP as a user would upload it: its files in a tar.gz, ufop.yaml at the root. */
const packExample = (): Buffer =>
  gzipSync(writeTar(readdirSync(EXAMPLE_DIR).map((name) => ({ name, data: readFileSync(join(EXAMPLE_DIR, name)) }))));

const packFiles = (files: Record<string, string>): Buffer =>
  gzipSync(writeTar(Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text) }))));

/** Real Docker only: a missing engine or base image fails with the command that fixes it, never a skip. */
async function requireEngine(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch {
    throw new Error("these tests need a Docker engine: run 'bash docker/base-image.sh' as root (it starts dockerd and builds the base images)");
  }
  try {
    await docker.getImage('fopflow/node:20').inspect();
  } catch {
    throw new Error("base image fopflow/node:20 is missing: run 'bash docker/base-image.sh'");
  }
}

async function waitForHealth(port: number): Promise<Response> {
  let lastError: unknown;
  for (let tries = 0; tries < 50; tries++) {
    try {
      return await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw lastError;
}

describe('UfopBuilder (real Docker)', () => {
  const docker = new Docker();
  const builder = new UfopBuilder({ docker });
  // A fresh owner per run, so parallel runs and leftovers never share a tag.
  const owner = `test${randomBytes(4).toString('hex')}`;
  const images: string[] = [];
  const containers: Docker.Container[] = [];
  const intermediates: string[] = [];

  beforeAll(() => requireEngine(docker));

  afterAll(async () => {
    for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
    for (const image of images) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    // A failed classic build leaves its last good step as an untagged image; removing it prunes
    // its untagged parents too. Tagged ids (the base image's, printed after FROM) are never touched.
    for (const id of intermediates) {
      const info = await docker.getImage(id).inspect().catch(() => undefined);
      if (info && (info.RepoTags ?? []).length === 0) await docker.getImage(id).remove().catch(() => undefined);
    }
  });

  it(
    'builds the example, which then serves /health and /handler on 9100 as uid 10100',
    async () => {
      const result = await builder.build({ owner, name: 'sepia-node', version: 'v1', tarball: packExample() });
      images.push(result.image);
      expect(result.image).toBe(`localhost:5000/ufop/${owner}-sepia-node:v1`);
      expect(result.logs.some((line) => line.startsWith('--> ufop build_script[0] (ufop.yaml line 4): test -f server.js'))).toBe(true);
      expect(result.logs.some((line) => /Successfully (built|tagged)/.test(line))).toBe(true);
      expect(result.durationMs).toBeGreaterThan(0);

      const info = await docker.getImage(result.image).inspect();
      expect(info.Config.User).toBe('10100:10100');
      expect(info.Config.WorkingDir).toBe('/opt/ufop');
      expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(['9100/tcp']);

      const container = await docker.createContainer({
        Image: result.image,
        name: `fopflow-ufop-test-${owner}`,
        ExposedPorts: { '9100/tcp': {} },
        // HostPort '' lets the engine pick a free port: no race with a port probed beforehand.
        HostConfig: { PortBindings: { '9100/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      containers.push(container);
      await container.start();
      const port = Number((await container.inspect()).NetworkSettings.Ports['9100/tcp'][0].HostPort);

      const health = await waitForHealth(port);
      expect(health.status).toBe(200);

      const source = randomBytes(2048);
      const answer = await fetch(`http://127.0.0.1:${port}/handler?cmd=sepia%2F80`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: source,
        signal: AbortSignal.timeout(10_000),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('image/png');
      expect(answer.headers.get('x-ufop-cmd')).toBe('sepia/80');
      expect(Buffer.from(await answer.arrayBuffer()).equals(source)).toBe(true);

      const uid = execFileSync('docker', ['exec', container.id, 'id', '-u']).toString().trim();
      expect(uid).toBe('10100');
      // The program can read what was uploaded but not rewrite it.
      const listing = execFileSync('docker', ['exec', container.id, 'sh', '-c', 'test -r server.js && ! test -w server.js && ! test -e /tmp/ufop-source.tar && echo ok']);
      expect(listing.toString().trim()).toBe('ok');
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'fails a failing build step with 422, naming the line and carrying the log tail',
    async () => {
      const tarball = packFiles({
        'ufop.yaml': 'image: fopflow/debian:bookworm\nbuild_script:\n  - echo first step ran\n  - "false"\n  - echo never\nrun: sleep 1\n',
      });
      const error = await builder.build({ owner, name: 'fails', version: '1', tarball }).catch((e: unknown) => e);
      images.push(`localhost:5000/ufop/${owner}-fails:1`);
      expect(error).toBeInstanceOf(UfopBuildError);
      const buildError = error as UfopBuildError;
      const steps = buildError.logTail.map((line) => /^ ---> ([0-9a-f]{12})$/.exec(line)?.[1]).filter((id): id is string => !!id);
      intermediates.push(...steps.slice(-1));
      expect(buildError.status).toBe(422);
      expect(buildError.scriptIndex).toBe(1);
      expect(buildError.message).toMatch(/^build_script\[1\] \(ufop\.yaml line 4\) failed: false/);
      expect(buildError.logTail).toContain('first step ran');
      expect(buildError.logTail.join('\n')).not.toMatch(/^never$/m);
    },
    BUILD_TIMEOUT_MS,
  );

  it('refuses a broken ufop.yaml before the engine sees it, naming the line', async () => {
    const tarball = packFiles({ 'ufop.yaml': 'image: fopflow/node:20\nrun: node server.js\nbuild_script:\n  - true\n  - 3\n' });
    const error = await builder.build({ owner, name: 'broken', version: '1', tarball }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UfopManifestError);
    expect((error as UfopManifestError).status).toBe(400);
    expect((error as Error).message).toMatch(/^ufop\.yaml line 4: build_script\[0\] must be a string, got boolean true/);
  });

  it('refuses an upload without ufop.yaml, a non-archive, and names Docker cannot tag', async () => {
    await expect(builder.build({ owner, name: 'x', version: '1', tarball: packFiles({ 'a.txt': 'a' }) })).rejects.toThrow(
      /ufop\.yaml: not found at the root/,
    );
    await expect(builder.build({ owner, name: 'x', version: '1', tarball: Buffer.from([0x1f, 0x8b, 1, 2]) })).rejects.toBeInstanceOf(UfopRequestError);
    await expect(builder.build({ owner: 'Bad Owner', name: 'x', version: '1', tarball: packExample() })).rejects.toThrow(/owner must be/);
    await expect(builder.build({ owner, name: 'x', version: 'v:1', tarball: packExample() })).rejects.toThrow(/version must be/);
  });
});
