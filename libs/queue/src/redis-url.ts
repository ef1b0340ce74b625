/**
 * The shapes `REDIS_URL` takes:
 * - one server: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS), as ioredis reads it;
 * - a Redis Cluster: `redis+cluster://[user:password@]host1:port1,host2:port2,...` (or
 *   `rediss+cluster://`). The nodes are seeds: any one reachable master is enough, the client
 *   learns the rest of the cluster from it. The scheme, not the number of hosts, says it is a
 *   cluster, so a cluster reached through a single seed address is still taken as one.
 */
export type RedisTarget = SingleRedisTarget | ClusterRedisTarget;

export interface SingleRedisTarget {
  kind: 'single';
  url: string;
}

export interface ClusterRedisTarget {
  kind: 'cluster';
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_SCHEMES: Record<string, boolean> = { 'redis+cluster:': false, 'rediss+cluster:': true };
const SINGLE_SCHEMES = new Set(['redis:', 'rediss:']);
const DEFAULT_PORT = 6379;

/** Reads `REDIS_URL`; throws an Error naming what is wrong with it. */
export function parseRedisUrl(text: string): RedisTarget {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme && scheme in CLUSTER_SCHEMES) return parseClusterUrl(text, scheme, CLUSTER_SCHEMES[scheme]);
  if (!scheme || !SINGLE_SCHEMES.has(scheme)) {
    throw new Error(`REDIS_URL must start with redis://, rediss://, redis+cluster:// or rediss+cluster://, got '${text}'`);
  }
  try {
    new URL(text);
  } catch {
    throw new Error(`REDIS_URL '${text}' is not a valid URL`);
  }
  return { kind: 'single', url: text };
}

function parseClusterUrl(text: string, scheme: string, tls: boolean): ClusterRedisTarget {
  const rest = text.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  // A cluster has one database (0): a path or query has no meaning here, so it is refused.
  const hostList = at >= 0 ? rest.slice(at + 1) : rest;
  if (/[/?#]/.test(hostList.replace(/\/$/, ''))) throw new Error(`REDIS_URL: a cluster URL names nodes only (no database, path or query), got '${text}'`);
  const nodes = hostList
    .replace(/\/$/, '')
    .split(',')
    .map((node) => parseNode(node, text));
  if (nodes.length === 0) throw new Error(`REDIS_URL: a cluster URL needs at least one host:port, got '${text}'`);
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : undefined;
  return { kind: 'cluster', nodes, tls, ...(username && { username }), ...(password && { password }) };
}

function parseNode(node: string, text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i.exec(node.trim());
  const port = match?.[2] === undefined ? DEFAULT_PORT : Number(match[2]);
  if (!match || port < 1 || port > 65535) throw new Error(`REDIS_URL: '${node}' is not a host:port (in '${text}')`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
