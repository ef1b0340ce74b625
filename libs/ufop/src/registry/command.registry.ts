import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import { duplicateRedis, slotGroup, type RedisClient } from '@fopflow/queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCommandName, isCustomCommandName } from '@fopflow/fop';

/** Who may run a custom command: Qiniu's `-m 1` (every account) or `-m 2` (its owner only). */
export type CommandMode = 'public' | 'private';

/** A UFOP is a user's program in an image; a remote command is an operator's HTTP service. */
export type CommandKind = 'ufop' | 'remote';

export type VersionState = 'queued' | 'building' | 'ready' | 'failed';

/** One build of a UFOP. */
export interface UfopVersion {
  version: string;
  state: VersionState;
  createdAt: number;
  finishedAt?: number;
  /** `<registry>/ufop/<owner>-<name>:<version>`, once built. */
  image?: string;
  /** Registry digest of the pushed image. */
  digest?: string;
  /** Why the build failed, naming the ufop.yaml line where it can. */
  error?: string;
  /** Where the uploaded tarball is kept. */
  tarball: { bucket: string; key: string };
}

/** What a remote command is: see remote-command.ts. Kept as given, validated there. */
export type RemoteSettingsRecord = Record<string, unknown>;

/** A registered custom command. */
export interface CommandRecord {
  name: string;
  kind: CommandKind;
  /** Access key of the account that registered it (`operator` for remote commands). */
  owner: string;
  mode: CommandMode;
  /** CPU and memory of each instance (a name from the flavor table). */
  flavor: string;
  description: string;
  createdAt: number;
  /** Builds, oldest first. */
  versions: UfopVersion[];
  /** The version new instances run; undefined until a build succeeded. */
  currentVersion?: string;
  /** Pinned instance count (`resize -n`); undefined while the scaler decides. */
  instances?: number;
  /** Upper bound while autoscaling. */
  maxInstances: number;
  /** Longest one request to the program may take, ms. */
  timeoutMs: number;
  remote?: RemoteSettingsRecord;
}

/** CPU and memory of one instance, by flavor name (Qiniu's C<cores>M<GiB>, plus small ones). */
export interface Flavor {
  cpus: number;
  memoryMiB: number;
}

export const FLAVORS: Readonly<Record<string, Flavor>> = Object.freeze({
  C1M256: { cpus: 1, memoryMiB: 256 },
  C1M1: { cpus: 1, memoryMiB: 1024 },
  C1M2: { cpus: 1, memoryMiB: 2048 },
  C2M4: { cpus: 2, memoryMiB: 4096 },
  C4M8: { cpus: 4, memoryMiB: 8192 },
});
export const DEFAULT_FLAVOR = 'C1M1';
export const DEFAULT_MAX_INSTANCES = 4;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Build log lines kept per version (the latest ones): a chatty apt-get must not grow without bound. */
export const MAX_BUILD_LOG_LINES = 5000;

/** Environment variable naming the program image of the UFOP version an instance runs. */
export const UFOP_IMAGE_ENV = 'FOPFLOW_UFOP_IMAGE';

/** The pool that runs a custom command's instances. */
export const commandPool = (record: Pick<CommandRecord, 'kind' | 'name'>): string => `${record.kind}-${record.name}`;

/**
 * The registry's keys. A listing MGETs every record and unregistering deletes a command's keys
 * and its name in one MULTI: on a cluster all of them share one hash slot (the registry is small).
 */
function registryKeys(redis: RedisClient) {
  const group = slotGroup(redis, 'fopflow:command');
  return {
    record: (name: string) => `${group}:${name}`,
    names: `${group}s`,
    versionSeq: (name: string) => `${group}:${name}:seq`,
    buildLog: (name: string, version: string) => `${group}:${name}:log:${version}`,
    runLogs: (name: string) => `${group}:${name}:run`,
  };
}
/** Optimistic tries of one update before it is refused as a conflict. */
const UPDATE_ATTEMPTS = 50;
/** How long an instance's program output stays readable after its last update. */
export const RUN_LOG_RETENTION_MS = 24 * 3600 * 1000;

/** The latest output of one instance's program, as its worker last read it. */
export interface RunLog {
  instance: string;
  version: string;
  at: number;
  lines: string[];
}
/** Published on every change, so gateways and scalers re-read at once instead of at their next poll. */
export const COMMANDS_CHANGED_CHANNEL = 'fopflow:commands:changed';

/** Reserved: words of the fop grammar that are not commands. */
const RESERVED = new Set(['saveas', 'sign', 'pipeline', 'admin', 'health', 'metrics']);

/** A registry request refused: 404 no such command or version, 409 taken or not ready. */
export class CommandRegistryError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
    this.name = 'CommandRegistryError';
  }
}
const notFound = (message: string) => new CommandRegistryError(message, 404);
const conflict = (message: string) => new CommandRegistryError(message, 409);

/** Words of Fopflow's own URLs and fop grammar that no custom command may be called. */
export const isReservedWord = (name: string): boolean => RESERVED.has(name);

/** Checks a name a user wants to register; throws CommandRegistryError naming the rule (400 malformed, 409 taken). */
export function checkCommandName(name: string): void {
  if (!isCustomCommandName(name)) {
    throw new CommandRegistryError(`name '${name}' must be 2-40 lower-case letters and digits with single '-' between them, starting with a letter`, 400);
  }
  if (isCommandName(name) || isReservedWord(name)) throw conflict(`name '${name}' is taken by Fopflow itself`);
}

/**
 * The registry of custom commands in Redis: one JSON record per name, changed under WATCH so
 * two concurrent changes (a build finishing while the owner resizes) never overwrite each other.
 */
export class CommandRegistry {
  private readonly keys: ReturnType<typeof registryKeys>;

  constructor(private readonly redis: RedisClient) {
    this.keys = registryKeys(redis);
  }

  async register(input: Omit<CommandRecord, 'createdAt' | 'versions'>): Promise<CommandRecord> {
    checkCommandName(input.name);
    const record: CommandRecord = { ...input, createdAt: Date.now(), versions: [] };
    const created = await this.redis.set(this.keys.record(input.name), JSON.stringify(record), 'NX');
    if (created !== 'OK') throw conflict(`'${input.name}' is already registered`);
    await this.redis.multi().sadd(this.keys.names, input.name).publish(COMMANDS_CHANGED_CHANNEL, input.name).exec();
    return record;
  }

  async get(name: string): Promise<CommandRecord | undefined> {
    const text = await this.redis.get(this.keys.record(name));
    return text ? (JSON.parse(text) as CommandRecord) : undefined;
  }

  async require(name: string): Promise<CommandRecord> {
    const record = await this.get(name);
    if (!record) throw notFound(`no custom command '${name}' is registered`);
    return record;
  }

  async list(): Promise<CommandRecord[]> {
    const names = (await this.redis.smembers(this.keys.names)).sort();
    if (names.length === 0) return [];
    const texts = await this.redis.mget(names.map(this.keys.record));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as CommandRecord);
  }

  /** Applies `change` atomically; `change` may throw to refuse. */
  update(name: string, change: (record: CommandRecord) => void): Promise<CommandRecord> {
    // WATCH belongs to a connection: this process's updates take turns on one of their own.
    const run = this.updates.then(() => this.updateNow(name, change));
    this.updates = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection updates use (the shared one stays the caller's). */
  close(): void {
    this.transactions?.disconnect();
  }

  private updates: Promise<unknown> = Promise.resolve();
  private transactions?: RedisClient;

  private async updateNow(name: string, change: (record: CommandRecord) => void): Promise<CommandRecord> {
    this.transactions ??= duplicateRedis(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: 3 });
    const connection = this.transactions;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      // After a lost race, wait a random while that grows with each loss, so that writers
      // contending for one record spread out instead of colliding again in lockstep.
      if (attempt > 0) await sleep(Math.random() * Math.min(200, 2 ** attempt));
      await connection.watch(this.keys.record(name));
      const text = await connection.get(this.keys.record(name));
      if (!text) {
        await connection.unwatch();
        throw notFound(`no custom command '${name}' is registered`);
      }
      const record = JSON.parse(text) as CommandRecord;
      try {
        change(record);
      } catch (error) {
        await connection.unwatch();
        throw error;
      }
      // null: someone else changed the record since WATCH; read it again and re-apply.
      const done = await connection.multi().set(this.keys.record(name), JSON.stringify(record)).publish(COMMANDS_CHANGED_CHANNEL, name).exec();
      if (done) return record;
    }
    throw conflict(`'${name}' changed too often to update; try again`);
  }

  async unregister(name: string): Promise<CommandRecord> {
    const record = await this.require(name);
    const logs = record.versions.map((version) => this.keys.buildLog(name, version.version));
    await this.redis
      .multi()
      .del(this.keys.record(name), this.keys.versionSeq(name), this.keys.runLogs(name), ...logs)
      .srem(this.keys.names, name)
      .publish(COMMANDS_CHANGED_CHANNEL, name)
      .exec();
    return record;
  }

  /** Adds a queued version for a new upload; versions count 1, 2, 3 … per command. */
  async addVersion(name: string, tarball: UfopVersion['tarball']): Promise<UfopVersion> {
    await this.require(name);
    const version = String(await this.redis.incr(this.keys.versionSeq(name)));
    const entry: UfopVersion = { version, state: 'queued', createdAt: Date.now(), tarball };
    await this.update(name, (record) => {
      record.versions.push(entry);
    });
    return entry;
  }

  /**
   * Records how a build went. The first version that builds becomes current; later ones wait for
   * `use-version`/`upgrade`, so a new build never replaces running code unasked.
   */
  async finishVersion(name: string, version: string, outcome: Partial<Pick<UfopVersion, 'state' | 'image' | 'digest' | 'error'>>): Promise<CommandRecord> {
    return this.update(name, (record) => {
      const entry = record.versions.find((candidate) => candidate.version === version);
      if (!entry) throw notFound(`'${name}' has no version ${version}`);
      Object.assign(entry, outcome);
      if (outcome.state === 'ready' || outcome.state === 'failed') entry.finishedAt = Date.now();
      if (outcome.state === 'ready' && record.currentVersion === undefined) record.currentVersion = version;
    });
  }

  /** Makes `version` current (gray: the scaler starts it, then retires the others). */
  async useVersion(name: string, version: string): Promise<CommandRecord> {
    return this.update(name, (record) => {
      const entry = record.versions.find((candidate) => candidate.version === version);
      if (!entry) throw notFound(`'${name}' has no version ${version} (versions: ${record.versions.map((v) => v.version).join(', ') || 'none'})`);
      if (entry.state !== 'ready') throw conflict(`version ${version} of '${name}' is ${entry.state}, not ready to run`);
      record.currentVersion = version;
    });
  }

  async appendBuildLog(name: string, version: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.redis.multi().rpush(this.keys.buildLog(name, version), ...lines).ltrim(this.keys.buildLog(name, version), -MAX_BUILD_LOG_LINES, -1).exec();
  }

  async buildLog(name: string, version: string): Promise<string[]> {
    return this.redis.lrange(this.keys.buildLog(name, version), 0, -1);
  }

  /** Keeps the latest output of an instance's program (its worker reads it from the engine). */
  async recordRunLog(name: string, log: RunLog): Promise<void> {
    await this.redis.hset(this.keys.runLogs(name), log.instance, JSON.stringify(log));
  }

  /** The programs' latest output per instance, newest first; entries older than a day are dropped. */
  async runLogs(name: string): Promise<RunLog[]> {
    const entries = Object.values(await this.redis.hgetall(this.keys.runLogs(name))).map((text) => JSON.parse(text) as RunLog);
    const stale = entries.filter((entry) => Date.now() - entry.at > RUN_LOG_RETENTION_MS);
    if (stale.length) await this.redis.hdel(this.keys.runLogs(name), ...stale.map((entry) => entry.instance));
    return entries.filter((entry) => !stale.includes(entry)).sort((a, b) => b.at - a.at);
  }
}

/** The image of the version instances should run, if it is built. */
export function versionImage(record: CommandRecord, version: string | undefined): string | undefined {
  return record.versions.find((entry) => entry.version === version && entry.state === 'ready')?.image;
}

/** Whether `caller` may run this command: its owner always, others only when it is public. */
export function mayRun(record: CommandRecord, caller: string | undefined): boolean {
  return record.mode === 'public' || record.owner === caller || caller === OPERATOR_ACCOUNT;
}
