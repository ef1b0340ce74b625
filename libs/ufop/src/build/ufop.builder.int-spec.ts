import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import sharp from 'sharp';
import { writeTar } from './tar-archive';
import { UfopBuilder } from './ufop.builder';
import { UfopBuildError, UfopManifestError, UfopRequestError } from '../ufop.errors';
import { waitForHealth } from '../testing/loopback';

const EXAMPLE_DIR = join(__dirname, '..', '..', 'examples', 'sepia-node');
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
  for (const base of ['fopflow/node:20', 'fopflow/ffmpeg:latest', 'fopflow/debian:bookworm']) {
    try {
      await docker.getImage(base).inspect();
    } catch {
      throw new Error(`base image ${base} is missing: run 'bash docker/base-image.sh'`);
    }
  }
}

/** A flat-coloured JPEG, made here so the expected tone is known exactly. */
const solidJpeg = (r: number, g: number, b: number): Promise<Buffer> =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g, b } } }).jpeg({ quality: 95 }).toBuffer();

/** Mean red, green and blue of an image. */
async function meanColour(image: Buffer): Promise<{ r: number; g: number; b: number }> {
  const { channels } = await sharp(image).stats();
  return { r: channels[0].mean, g: channels[1].mean, b: channels[2].mean };
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
    'builds the sepia example, which then serves /health and tones images on /handler, on 9100 as uid 10100',
    async () => {
      const result = await builder.build({ owner, name: 'sepia-node', version: 'v1', tarball: packExample() });
      images.push(result.image);
      expect(result.image).toBe(`localhost:5000/ufop/${owner}-sepia-node:v1`);
      expect(result.logs.some((line) => line.startsWith('--> ufop build_script[0] (ufop.yaml line 5): node --check server.js'))).toBe(true);
      expect(result.logs.some((line) => line.startsWith('--> ufop build_script[1] (ufop.yaml line 7): ffmpeg -hide_banner -filters'))).toBe(true);
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

      const handler = (cmd: string, body: Buffer) =>
        fetch(`http://127.0.0.1:${port}/handler?cmd=${encodeURIComponent(cmd)}`, {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
      /** Sends an image, expects a JPEG back, and returns its mean colour. */
      const tone = async (cmd: string, body: Buffer) => {
        const answer = await handler(cmd, body);
        const bytes = Buffer.from(await answer.arrayBuffer());
        expect({ status: answer.status, type: answer.headers.get('content-type') }).toEqual({ status: 200, type: 'image/jpeg' });
        expect((await sharp(bytes).metadata()).format).toBe('jpeg');
        return meanColour(bytes);
      };

      // Grey has no colour of its own: whatever warmth comes back is the filter's.
      const grey = await solidJpeg(128, 128, 128);
      const full = await tone('my-sepia/level/5', grey);
      expect(full.r).toBeGreaterThan(full.g);
      expect(full.g).toBeGreaterThan(full.b);
      expect(full.r - full.b).toBeGreaterThan(40);
      // Lower levels blend towards the original: warm still, less so. The first segment is the
      // registered name, whatever it is, and level defaults to 3.
      const slight = await tone('other-name/level/1', grey);
      const standard = await tone('my-sepia', grey);
      expect(slight.r).toBeGreaterThan(slight.b);
      expect(slight.r - slight.b).toBeLessThan(standard.r - standard.b);
      expect(standard.r - standard.b).toBeLessThan(full.r - full.b);
      // Pure blue comes out brownish: more red than blue.
      const blue = await tone('my-sepia/level/5', await solidJpeg(0, 0, 255));
      expect(blue.r).toBeGreaterThan(blue.b);

      for (const [cmd, error] of [
        ['my-sepia/level/6', "level must be a whole number from 1 to 5, got '6'"],
        ['my-sepia/strength/2', "unknown parameter 'strength' (known: level)"],
        ['my-sepia/level', "parameter 'level' has no value"],
      ]) {
        const refused = await handler(cmd, grey);
        expect({ cmd, status: refused.status, body: await refused.json() }).toEqual({ cmd, status: 400, body: { error } });
      }
      const undecodable = await handler('my-sepia', randomBytes(2048));
      expect(undecodable.status).toBe(415);
      expect(((await undecodable.json()) as { error: string }).error).toMatch(/^the source is not an image ffmpeg can decode/);

      const uid = execFileSync('docker', ['exec', container.id, 'id', '-u']).toString().trim();
      expect(uid).toBe('10100');
      // The program can read what was uploaded but not rewrite it.
      const listing = execFileSync('docker', ['exec', container.id, 'sh', '-c', 'test -r server.js && ! test -w server.js && ! test -e /tmp/ufop-source.tar && echo ok']);
      expect(listing.toString().trim()).toBe('ok');

      // docker stop sends SIGTERM: the program exits on its own, cleanly, before the SIGKILL.
      await container.stop({ t: 20 });
      expect((await container.inspect()).State.ExitCode).toBe(0);
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
    await expect(builder.build({ owner, name: 'x', version: '1', tarball: Buffer.from('x'.repeat(4096)) })).rejects.toThrow(
      /^the upload is not a readable tar or tar\.gz: not a tar archive/,
    );
    await expect(builder.build({ owner: 'Bad Owner', name: 'x', version: '1', tarball: packExample() })).rejects.toThrow(/owner must be/);
    await expect(builder.build({ owner, name: 'x', version: 'v:1', tarball: packExample() })).rejects.toThrow(/version must be/);
  });

  it(
    'unpacks the upload into $RESOURCE through ADD: long paths and executables kept, the archive in no layer',
    async () => {
      const long = `${'deep/'.repeat(25)}data.txt`;
      const tarball = gzipSync(
        writeTar([
          { name: 'ufop.yaml', data: Buffer.from(`image: fopflow/node:20\nbuild_script:\n  - test -x bin/run.sh\n  - test -f ${long}\nrun: exec node -e "setInterval(() => {}, 1000)"\n`) },
          { name: 'bin/run.sh', data: Buffer.from('#!/bin/sh\necho ran\n'), mode: 0o750 },
          { name: long, data: Buffer.from('kept') },
        ]),
      );
      const result = await builder.build({ owner, name: 'layout', version: '1', tarball });
      images.push(result.image);
      const history = await docker.getImage(result.image).history();
      // The classic builder records ADD by content hash: the layer holds the unpacked files.
      expect(history.some((layer: { CreatedBy: string }) => /#\(nop\) ADD file:[0-9a-f]+ in \/opt\/ufop\/ $/.test(layer.CreatedBy))).toBe(true);
      const output = execFileSync('docker', ['run', '--rm', result.image, 'sh', '-c', `cat /opt/ufop/${long}; ls -l /opt/ufop/bin/run.sh; find / -xdev -name 'ufop-source.tar*' | wc -l`]).toString();
      expect(output).toMatch(/^kept-rwxr-xr-x 1 root root .*run\.sh\n0\n$/s);

      const escaping = gzipSync(writeTar([{ name: 'ufop.yaml', data: Buffer.from('image: fopflow/node:20\nbuild_script: []\nrun: x\n') }, { name: '../evil', data: Buffer.from('x') }]));
      await expect(builder.build({ owner, name: 'layout', version: '2', tarball: escaping })).rejects.toThrow(/a path outside its directory: '\.\.\/evil'/);
    },
    BUILD_TIMEOUT_MS,
  );
});
