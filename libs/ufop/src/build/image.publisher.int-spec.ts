import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { ImagePublishError, parseImageReference, pushImage, registryHasTag, registryManifestDigest } from './image.publisher';
import { freePort } from '../testing/loopback';

const REGISTRY = 'localhost:5000';
const SOURCE_IMAGE = 'fopflow/debian:bookworm';
const PUSH_TIMEOUT_MS = 120_000;

/** Real engine and real registry only: either missing fails with the command that fixes it, never a skip. */
async function requireEngineAndRegistry(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch {
    throw new Error("these tests need a Docker engine: run 'bash docker/base-image.sh' as root (it starts dockerd and builds the base images)");
  }
  try {
    await docker.getImage(SOURCE_IMAGE).inspect();
  } catch {
    throw new Error(`base image ${SOURCE_IMAGE} is missing: run 'bash docker/base-image.sh'`);
  }
  let got: string;
  try {
    const answer = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(5000) });
    if (answer.status === 200) return;
    got = `status ${answer.status}`;
  } catch (error) {
    got = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
  }
  throw new Error(`the local registry does not answer at http://${REGISTRY}/v2/ (${got}): run 'bash docker/registry.sh'`);
}

describe('pushImage and registryHasTag (real Docker, real registry)', () => {
  const docker = new Docker();
  // A fresh repository per run, so parallel runs and leftovers never share a tag.
  const owner = `test${randomBytes(4).toString('hex')}`;
  const localTags: string[] = [];
  const pushed: Array<{ repository: string; digest: string }> = [];

  beforeAll(() => requireEngineAndRegistry(docker));

  afterAll(async () => {
    for (const { repository, digest } of pushed) {
      await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const tag of localTags) await docker.getImage(tag).remove({ noprune: true }).catch(() => undefined);
  });

  const tagLocally = async (registry: string, repository: string, tag: string): Promise<string> => {
    await docker.getImage(SOURCE_IMAGE).tag({ repo: `${registry}/${repository}`, tag });
    const image = `${registry}/${repository}:${tag}`;
    localTags.push(image);
    return image;
  };

  it(
    'pushes a local tag over plain HTTP; the registry then lists the tag under the digest returned',
    async () => {
      const repository = `ufop/${owner}-x`;
      const image = await tagLocally(REGISTRY, repository, '1');
      const logs: string[] = [];

      const { digest } = await pushImage(docker, image, { onLog: (line) => logs.push(line) });
      pushed.push({ repository, digest });

      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(logs.some((line) => /^[0-9a-f]{12}: (Pushed|Layer already exists|Mounted from )/.test(line))).toBe(true);
      expect(logs.some((line) => line.includes(digest))).toBe(true);

      const tags = (await (await fetch(`http://${REGISTRY}/v2/${repository}/tags/list`)).json()) as { name: string; tags: string[] };
      expect(tags).toEqual({ name: repository, tags: ['1'] });
      await expect(registryHasTag(REGISTRY, repository, '1')).resolves.toBe(true);
      await expect(registryManifestDigest(REGISTRY, repository, '1')).resolves.toBe(digest);
      await expect(registryHasTag('127.0.0.1:5000', repository, '1')).resolves.toBe(true);
      await expect(registryHasTag(REGISTRY, repository, '2')).resolves.toBe(false);
      await expect(registryHasTag(REGISTRY, `ufop/${owner}-never-pushed`, '1')).resolves.toBe(false);

      // The engine records where the image now lives, under the same digest.
      const info = await docker.getImage(image).inspect();
      expect(info.RepoDigests).toContain(`${REGISTRY}/${repository}@${digest}`);
    },
    PUSH_TIMEOUT_MS,
  );

  it(
    'fails a push to a registry that does not answer, naming the registry and the fix',
    async () => {
      const registry = `127.0.0.1:${await freePort()}`;
      const image = await tagLocally(registry, `ufop/${owner}-y`, '1');

      const error = await pushImage(docker, image).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ImagePublishError);
      expect((error as ImagePublishError).registry).toBe(registry);
      expect((error as Error).message).toContain(`pushing ${image} to registry ${registry} failed`);
      expect((error as Error).message).toContain("bash docker/registry.sh");
      await expect(registryHasTag(registry, `ufop/${owner}-y`, '1')).rejects.toThrow(/does not answer .*bash docker\/registry\.sh/);
    },
    PUSH_TIMEOUT_MS,
  );

  it('refuses what it cannot push or ask: no registry host, no tag, no local image, a registry off this machine', async () => {
    expect(() => parseImageReference('ufop/acme-x:1')).toThrow(/names no registry host/);
    expect(() => parseImageReference('localhost:5000/ufop/acme-x')).toThrow(/has no tag/);
    expect(parseImageReference('localhost:5000/ufop/acme-x:v1.2')).toEqual({ registry: 'localhost:5000', repository: 'ufop/acme-x', tag: 'v1.2' });
    await expect(pushImage(docker, 'fopflow/debian:bookworm')).rejects.toThrow(/names no registry host/);
    await expect(pushImage(docker, `${REGISTRY}/ufop/${owner}-absent:1`)).rejects.toThrow(/no local image by that name/);
    await expect(registryHasTag('registry.example.com', 'ufop/acme-x', '1')).rejects.toThrow(/not on this machine/);
    await expect(registryHasTag(REGISTRY, 'ufop/../x', '1')).rejects.toThrow(/not a valid repository/);
  });
});
