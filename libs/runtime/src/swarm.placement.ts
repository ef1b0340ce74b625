import Docker from 'dockerode';

/** Where a swarm service's tasks go, and which image they run: the parts of a service spec that depend on the cluster. */

/** A service's placement from constraints and spread preferences; undefined when there are none (swarm's default). */
export function servicePlacement(constraints: string[], spreadOver: string[]): Docker.TaskSpec['Placement'] {
  if (constraints.length === 0 && spreadOver.length === 0) return undefined;
  return {
    ...(constraints.length > 0 && { Constraints: constraints }),
    ...(spreadOver.length > 0 && { Preferences: spreadOver.map((descriptor) => ({ Spread: { SpreadDescriptor: descriptor } })) }),
  };
}

/** Whether an image reference starts with a registry host (`host:port/…`, `registry.example/…`, `localhost/…`). */
export function namesRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/** An image reference without its tag or digest: `host:5100/fopflow/worker:latest` → `host:5100/fopflow/worker`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

