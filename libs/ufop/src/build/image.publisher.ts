import Docker from 'dockerode';
import { dockerStatus } from '@fopflow/runtime';
import { LineSplitter } from './line-splitter';

/** Longest a push may take, in ms, before it is abandoned (a first push uploads the whole base image). */
export const DEFAULT_PUSH_TIMEOUT_MS = 10 * 60 * 1000;
/** Longest one registry API request may take, in ms. */
export const REGISTRY_REQUEST_TIMEOUT_MS = 10_000;
/** The fix for a loopback registry that does not answer. */
export const START_REGISTRY_HINT = "start Fopflow's local registry with 'bash docker/registry.sh'";

/**
 * Manifest types asked for, image manifests first: the digest the registry answers with is the
 * digest of the manifest in the type it serves, and a pushed image is stored as a v2 manifest.
 */
const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

// Docker's reference grammar, as ufop.builder.ts tags images.
const REGISTRY_HOST = /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$|^[A-Za-z0-9-]+:[0-9]+$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// The registry API is spoken in plain HTTP, so only to this machine.
const LOOPBACK_REGISTRY = /^(?:localhost|127(?:\.\d{1,3}){3})(?::\d+)?$/;

/** Pushing or looking up an image in a registry failed; the message names the registry and the fix. */
export class ImagePublishError extends Error {
  constructor(
    message: string,
    /** The registry host:port at fault. */
    readonly registry: string,
  ) {
    super(message);
    this.name = 'ImagePublishError';
  }
}

export interface PushImageOptions {
  /** Receives the engine's push progress, one line per layer event (progress bars left out). */
  onLog?: (line: string) => void;
  /** Default DEFAULT_PUSH_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** An image reference split the way a registry sees it. */
export interface ImageReference {
  /** host[:port], e.g. `localhost:5000`. */
  registry: string;
  /** Path inside the registry, e.g. `ufop/acme-sepia`. */
  repository: string;
  tag: string;
}

/** Splits `<registry>/<repository>:<tag>`; a reference without a registry host is refused (it would go to Docker Hub). */
export function parseImageReference(image: string): ImageReference {
  const slash = image.indexOf('/');
  const colon = image.lastIndexOf(':');
  const registry = slash > 0 ? image.slice(0, slash) : '';
  if (!registry || !REGISTRY_HOST.test(registry)) {
    throw new ImagePublishError(`'${image}' names no registry host: tag it as <host:port>/<repository>:<tag>`, registry);
  }
  if (colon <= image.lastIndexOf('/')) throw new ImagePublishError(`'${image}' has no tag: push tags, not bare names`, registry);
  const repository = image.slice(slash + 1, colon);
  const tag = image.slice(colon + 1);
  if (!REPOSITORY.test(repository)) throw new ImagePublishError(`'${image}': '${repository}' is not a valid repository name`, registry);
  if (!TAG.test(tag)) throw new ImagePublishError(`'${image}': '${tag}' is not a valid tag`, registry);
  return { registry, repository, tag };
}

interface PushEvent {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/**
 * Pushes a local tag to the registry its name carries and resolves with the manifest digest the
 * registry stored. The engine reports failures inside a 200 stream, so the stream is read to the
 * end and an `error` event becomes an ImagePublishError naming the registry and what to do.
 */
export async function pushImage(docker: Docker, image: string, options: PushImageOptions = {}): Promise<{ digest: string }> {
  const reference = parseImageReference(image);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    // Checked first: the engine would report a missing image only inside the push stream, in its own words.
    try {
      await docker.getImage(image).inspect();
    } catch (error) {
      const cause = dockerStatus(error) === 404 ? 'there is no local image by that name; build or tag it first' : `the engine did not answer: ${(error as Error).message}`;
      throw new ImagePublishError(`cannot push ${image}: ${cause}`, reference.registry);
    }
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.getImage(`${reference.registry}/${reference.repository}`).push({
        tag: reference.tag,
        // The engine's API wants an X-Registry-Auth header even for a registry without auth.
        authconfig: {},
        abortSignal: abort.signal,
      });
    } catch (error) {
      if (abort.signal.aborted) throw timedOut(image, reference.registry, timeoutMs);
      throw new ImagePublishError(`cannot push ${image}: ${(error as Error).message}`, reference.registry);
    }
    const outcome = await follow(stream, options.onLog, abort.signal).catch((error: Error) => {
      throw new ImagePublishError(`pushing ${image} to registry ${reference.registry}: the engine's stream broke: ${error.message}`, reference.registry);
    });
    if (abort.signal.aborted) throw timedOut(image, reference.registry, timeoutMs);
    if (outcome.error !== undefined) {
      throw new ImagePublishError(
        `pushing ${image} to registry ${reference.registry} failed: ${outcome.error} — ${pushFailureHint(outcome.error, reference.registry)}`,
        reference.registry,
      );
    }
    if (!outcome.digest) throw new ImagePublishError(`pushing ${image}: the engine finished without reporting the manifest digest`, reference.registry);
    return { digest: outcome.digest };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a loopback registry holds `<repository>:<tag>`, asked through its HTTP API. */
export async function registryHasTag(registry: string, repository: string, tag: string): Promise<boolean> {
  return (await registryManifestDigest(registry, repository, tag)) !== undefined;
}

/**
 * The digest a loopback registry serves for `<repository>:<tag>` (its Docker-Content-Digest), or
 * undefined when it has no such tag. Only localhost and 127.0.0.0/8: the API is spoken in plain HTTP.
 */
export async function registryManifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
  if (!LOOPBACK_REGISTRY.test(registry)) {
    throw new ImagePublishError(`registry '${registry}' is not on this machine: only localhost and 127.0.0.0/8 registries are asked over HTTP`, registry);
  }
  if (!REPOSITORY.test(repository)) throw new ImagePublishError(`'${repository}' is not a valid repository name`, registry);
  if (!TAG.test(tag)) throw new ImagePublishError(`'${tag}' is not a valid tag`, registry);
  const url = `http://${registry}/v2/${repository}/manifests/${tag}`;
  let answer: Response;
  try {
    answer = await fetch(url, { headers: { Accept: MANIFEST_ACCEPT }, signal: AbortSignal.timeout(REGISTRY_REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new ImagePublishError(`registry ${registry} does not answer (${cause}): ${START_REGISTRY_HINT}`, registry);
  }
  // The body is the manifest; only its digest header matters here.
  await answer.arrayBuffer().catch(() => undefined);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) {
    throw new ImagePublishError(`GET ${url} answered ${answer.status}: is another service on that port? Fopflow's registry has no auth`, registry);
  }
  const digest = answer.headers.get('docker-content-digest');
  if (!digest) throw new ImagePublishError(`GET ${url} answered without a Docker-Content-Digest header: not a distribution v2 registry?`, registry);
  return digest;
}

/** Reads the engine's JSON-lines push stream to its end: the first error, and the digest of the pushed tag. */
function follow(stream: NodeJS.ReadableStream, onLog: ((line: string) => void) | undefined, signal: AbortSignal): Promise<{ error?: string; digest?: string }> {
  return new Promise((resolve, reject) => {
    let error: string | undefined;
    let digest: string | undefined;
    const onEvent = (raw: string): void => {
      if (!raw.trim()) return;
      let event: PushEvent;
      try {
        event = JSON.parse(raw) as PushEvent;
      } catch {
        onLog?.(raw);
        return;
      }
      if (event.error !== undefined) error ??= event.errorDetail?.message ?? event.error;
      if (event.aux?.Digest) digest = event.aux.Digest;
      // Progress bars repeat once per chunk uploaded; the layer's status changes are what a reader wants.
      if (event.status && event.progress === undefined) onLog?.(event.id ? `${event.id}: ${event.status}` : event.status);
    };
    const events = new LineSplitter(onEvent);
    stream.on('data', (chunk: Buffer) => events.push(chunk.toString('utf8')));
    stream.on('end', () => {
      events.end();
      resolve({ error, digest });
    });
    stream.on('error', (streamError: Error) => {
      // An abort (the timeout) ends the stream with an error; the caller reports the timeout.
      if (signal.aborted) resolve({ error, digest });
      else reject(streamError);
    });
    // The modem may end the request without the stream noticing.
    signal.addEventListener('abort', () => resolve({ error, digest }), { once: true });
  });
}

function timedOut(image: string, registry: string, timeoutMs: number): ImagePublishError {
  return new ImagePublishError(`pushing ${image} to registry ${registry} took longer than ${timeoutMs} ms and was stopped`, registry);
}

/** What the operator should do about an engine push error, from its usual wording. */
function pushFailureHint(message: string, registry: string): string {
  const loopback = LOOPBACK_REGISTRY.test(registry);
  if (/connection refused|no such host|i\/o timeout|dial tcp|connection reset|EOF/i.test(message)) {
    return loopback ? `the registry does not answer: ${START_REGISTRY_HINT}` : `the registry does not answer: check that ${registry} is up and reachable from the engine`;
  }
  if (/server gave HTTP response to HTTPS client/i.test(message)) {
    return `the engine insists on HTTPS for ${registry}: use a registry on 127.0.0.1/localhost, or list it in the engine's insecure-registries`;
  }
  if (/unauthorized|authentication required|denied/i.test(message)) {
    return `the registry wants credentials; Fopflow's own (docker/registry.yml) has none, so another registry holds that address`;
  }
  return loopback ? `check the registry's log (.data/registry.log when started by docker/registry.sh)` : `check the registry at ${registry}`;
}
