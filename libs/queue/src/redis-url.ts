/**
 * The shapes `REDIS_URL` takes:
 * - one server: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS), as ioredis reads it;
 * - a Redis Cluster: `redis+cluster://[user:password@]host1:port1,host2:port2,...` (or
 *   `rediss+cluster://`). The nodes are seeds: any one reachable master is enough, the client
 *   learns the rest of the cluster from it. The scheme, not the number of hosts, says it is a
 *   cluster, so a cluster reached through a single seed address is still taken as one.
 * - a master watched by Redis Sentinel: `redis+sentinel://[user:password@]s1:26379,s2:26379/<master>[/db]`
 *   (or `rediss+sentinel://`). The hosts are sentinels; the credentials are the master's.
 */
export type RedisTarget = SingleRedisTarget | ClusterRedisTarget | SentinelRedisTarget;

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

export interface SentinelRedisTarget {
  kind: 'sentinel';
  sentinels: Array<{ host: string; port: number }>;
  /** The master's name, as the sentinels monitor it. */
  masterName: string;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_SCHEMES: Record<string, boolean> = { 'redis+cluster:': false, 'rediss+cluster:': true };
const SENTINEL_SCHEMES: Record<string, boolean> = { 'redis+sentinel:': false, 'rediss+sentinel:': true };
const DEFAULT_SENTINEL_PORT = 26379;
const SINGLE_SCHEMES = new Set(['redis:', 'rediss:']);
const DEFAULT_PORT = 6379;

/** Reads `REDIS_URL`; throws an Error naming what is wrong with it. */
export function parseRedisUrl(text: string): RedisTarget {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme && scheme in CLUSTER_SCHEMES) return parseClusterUrl(text, scheme, CLUSTER_SCHEMES[scheme]);
  if (scheme && scheme in SENTINEL_SCHEMES) return parseSentinelUrl(text, scheme, SENTINEL_SCHEMES[scheme]);
  if (!scheme || !SINGLE_SCHEMES.has(scheme)) {
    throw new Error(`REDIS_URL must start with redis://, rediss://, redis+cluster://, rediss+cluster://, redis+sentinel:// or rediss+sentinel://, got '${text}'`);
  }
  try {
    new URL(text);
  } catch {
    throw new Error(`REDIS_URL '${text}' is not a valid URL`);
  }
  return { kind: 'single', url: text };
}

/** Credentials, host list and path of `<scheme>//[user:password@]host:port,host:port[/path]`. */
function splitNodeUrl(text: string, scheme: string, defaultPort: number) {
  const rest = text.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const afterAt = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = afterAt.indexOf('/');
  const hostList = slash >= 0 ? afterAt.slice(0, slash) : afterAt;
  const path = slash >= 0 ? afterAt.slice(slash + 1) : '';
  const nodes = hostList.split(',').map((node) => parseNode(node, text, defaultPort));
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : undefined;
  return { nodes, path, ...(username && { username }), ...(password && { password }) };
}

function parseClusterUrl(text: string, scheme: string, tls: boolean): ClusterRedisTarget {
  const { path, ...parts } = splitNodeUrl(text, scheme, DEFAULT_PORT);
  // A cluster has one database (0): a path or query has no meaning here, so it is refused.
  if (path !== '' || /[?#]/.test(text)) throw new Error(`REDIS_URL: a cluster URL names nodes only (no database, path or query), got '${text}'`);
  return { kind: 'cluster', tls, ...parts };
}

function parseSentinelUrl(text: string, scheme: string, tls: boolean): SentinelRedisTarget {
  const { nodes, path, ...credentials } = splitNodeUrl(text, scheme, DEFAULT_SENTINEL_PORT);
  const match = /^([^/?#]+)(?:\/(\d{1,2}))?\/?$/.exec(path);
  if (!match) throw new Error(`REDIS_URL: a sentinel URL ends with /<master name>[/<db>], got '${text}'`);
  return { kind: 'sentinel', sentinels: nodes, masterName: decodeURIComponent(match[1]), db: Number(match[2] ?? 0), tls, ...credentials };
}

function parseNode(node: string, text: string, defaultPort: number): { host: string; port: number } {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i.exec(node.trim());
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (!match || port < 1 || port > 65535) throw new Error(`REDIS_URL: '${node}' is not a host:port (in '${text}')`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
