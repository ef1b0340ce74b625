import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import { FopflowConfig } from '@fopflow/config';
import { Keeper, PoolSettings, PoolStateStore } from '@fopflow/keeper';
import { InstanceRuntime, InstanceSpec } from '@fopflow/runtime';
import { CommandRecord, CommandRegistry, commandPool, UFOP_IMAGE_ENV, UFOP_SANDBOX_LABEL, UfopSandbox, versionImage } from '@fopflow/ufop';
import type { RedisClient } from '@fopflow/queue';
import { PoolObserver } from './pool.observer';
import { PoolReconciler, PoolStateSource } from './pool.reconciler';

/** Version label of remote commands' pools: they have no builds, only settings. */
const REMOTE_VERSION = '1';
/** Where a containerized worker finds the engine it starts its program's sandbox on. */
const ENGINE_SOCKET_IN_INSTANCE = '/var/run/docker.sock';
/** Sandboxes are looked over for orphans every this many syncs. */
const REAP_EVERY_SYNCS = 30;
/** A sandbox younger than this is never an orphan: its worker may not have reported yet. */
export const ORPHAN_AFTER_MS = 2 * 60_000;

/**
 * The instances whose sandboxes are orphaned: sandboxes of `commands` (this platform's), created
 * more than ORPHAN_AFTER_MS before `now`, of an instance that is not `live`. Sandboxes of
 * another platform's commands (on a shared engine), of live instances, and young ones (whose
 * worker may not have reported yet) are left alone.
 */
export function orphanedSandboxes(
  containers: ReadonlyArray<Pick<Docker.ContainerInfo, 'Labels' | 'Created'>>,
  { live, commands, now }: { live: ReadonlySet<string>; commands: ReadonlySet<string>; now: number },
): Set<string> {
  return new Set(
    containers
      .filter((container) => commands.has(container.Labels[UFOP_SANDBOX_LABEL.name]) && now - container.Created * 1000 > ORPHAN_AFTER_MS)
      .map((container) => container.Labels[UFOP_SANDBOX_LABEL.instance])
      .filter((id) => id !== undefined && !live.has(id)),
  );
}

/**
 * One pool per registered custom command, kept in step with the registry: a pool appears when a
 * UFOP has a built version (or a remote command is registered), follows its current version
 * (a change is a gray upgrade) and its pinned size, and its instances stop when it is
 * unregistered. Each instance is a trusted worker that runs the program's sandbox beside it.
 */
export class CustomPools {
  private readonly logger = new Logger('CustomPools');
  private readonly registry: CommandRegistry;
  private readonly pools = new Map<string, { reconciler: PoolReconciler; shape: string }>();
  private records = new Map<string, CommandRecord>();
  private syncs = 0;
  private docker?: Docker;

  constructor(
    private readonly redis: RedisClient,
    private readonly keeper: Keeper,
    private readonly state: PoolStateStore,
    private readonly runtime: InstanceRuntime,
    private readonly env: Record<string, string>,
    private readonly config: FopflowConfig,
  ) {
    this.registry = new CommandRegistry(redis);
  }

  /** Re-reads the registry; answers the reconcilers to tick this round. */
  async sync(): Promise<PoolReconciler[]> {
    const records = (await this.registry.list()).filter((record) => record.kind === 'remote' || record.currentVersion !== undefined);
    this.records = new Map(records.map((record) => [commandPool(record), record]));
    for (const [pool, record] of this.records) {
      const settings = this.settings(record);
      // Settings that shape instances (flavor, bounds) need a new reconciler; version and size do
      // not: the reconciler reads them each tick (stateOf), and a new one would forget its history.
      const { version: _version, ...shaping } = settings;
      const shape = JSON.stringify(shaping);
      if (this.pools.get(pool)?.shape === shape) continue;
      await this.pools.get(pool)?.reconciler.close();
      const observer = new PoolObserver(this.redis, settings.commands, this.config.tiers);
      // Remote commands run the plain worker image (the pool's image); a UFOP instance needs more.
      const customize = record.kind === 'ufop' ? (spec: InstanceSpec) => this.ufopInstance(spec) : undefined;
      const reconciler = new PoolReconciler(pool, settings, observer, this.keeper, this.stateOf(pool), this.runtime, this.env, 1, customize);
      this.pools.set(pool, { reconciler, shape });
      this.logger.log(`pool ${pool}: ${record.kind} '${record.name}', up to ${settings.maxInstances} instances`);
    }
    for (const [pool, { reconciler }] of this.pools) {
      if (this.records.has(pool)) continue;
      this.pools.delete(pool);
      const stopped = await reconciler.retireAll();
      await reconciler.close();
      this.logger.log(`pool ${pool}: unregistered; stopped ${stopped} instance(s)`);
    }
    if (++this.syncs % REAP_EVERY_SYNCS === 0) await this.reapOrphans().catch((error: Error) => this.logger.warn(`looking for orphaned sandboxes: ${error.message}`));
    return [...this.pools.values()].map(({ reconciler }) => reconciler);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(({ reconciler }) => reconciler.close()));
    this.registry.close();
  }

  /**
   * A UFOP instance is a worker whose env names the version's program image. In a container it
   * also gets the engine's socket (it starts the sandbox beside itself) and the socket dir at the
   * same path as on the host, since the sandbox's bind mount names the host's path.
   */
  private ufopInstance(spec: InstanceSpec): InstanceSpec {
    const env = { ...spec.env, ...(spec.image && { [UFOP_IMAGE_ENV]: spec.image }) };
    if (this.runtime.name === 'process') return { ...spec, env };
    const socketDir = resolve(this.config.ufop.socketDir);
    // Sticky and open, like /tmp: each instance makes its own directory in it, under its own uid.
    mkdirSync(socketDir, { recursive: true });
    try {
      chmodSync(socketDir, 0o1777);
    } catch (error) {
      // A host directory made by root (compose, stack) cannot be changed from here; it may be right already.
      if ((statSync(socketDir).mode & 0o1777) !== 0o1777) {
        this.logger.warn(`${socketDir} must be mode 1777 for UFOP workers to make their sockets in it (${(error as Error).message}): chmod 1777 ${socketDir}`);
      }
    }
    const engine = engineSocket();
    return {
      ...spec,
      image: this.config.workerImage,
      env: { ...env, FOPFLOW_UFOP_SOCKET_DIR: socketDir },
      binds: [...(spec.binds ?? []), { source: engine, target: ENGINE_SOCKET_IN_INSTANCE }, { source: socketDir, target: socketDir }],
      groups: [...(spec.groups ?? []), String(statSync(engine).gid)],
    };
  }

  /**
   * Removes sandboxes whose worker is gone (killed before it could remove them): only those of
   * commands this registry knows, older than a couple of minutes, and of no instance Keeper or the
   * runtime still lists, so another platform's sandboxes on the same engine are left alone.
   */
  private async reapOrphans(): Promise<void> {
    this.docker ??= new Docker();
    const [containers, records, launched] = await Promise.all([
      this.docker.listContainers({ all: true, filters: { label: [UFOP_SANDBOX_LABEL.instance] } }),
      this.keeper.instances(),
      this.runtime.list(),
    ]);
    const orphans = orphanedSandboxes(containers, {
      live: new Set([...records.map((record) => record.id), ...launched.map((instance) => instance.id)]),
      commands: new Set([...this.records.values()].map((record) => record.name)),
      now: Date.now(),
    });
    if (orphans.size === 0) return;
    const reaped = await UfopSandbox.reap(this.docker, (id) => !orphans.has(id));
    this.logger.log(`removed the sandboxes of ${reaped.length} gone instance(s): ${reaped.join(', ')}`);
  }

  /** The pool's version, image and pinned size, as the registry has them now. */
  private stateOf(pool: string): PoolStateSource {
    return {
      get: async () => {
        const record = this.records.get(pool);
        if (!record) return { pinnedInstances: 0 };
        const version = runningVersion(record);
        return { version, image: record.kind === 'remote' ? undefined : versionImage(record, version), pinnedInstances: record.instances };
      },
      recordDecision: (name, decision) => this.state.recordDecision(name, decision),
    };
  }

  private settings(record: CommandRecord): PoolSettings {
    return {
      commands: [record.name],
      minInstances: 0,
      maxInstances: Math.max(record.maxInstances, record.instances ?? 0, 1),
      // One request at a time per instance: a few waiting per instance is already a queue.
      targetPendingPerInstance: 2,
      scaleDownStabilizationS: 60,
      maxScaleUpStep: 2,
      graceMs: record.timeoutMs + 5000,
      image: this.config.workerImage,
      version: runningVersion(record) ?? '1',
    };
  }
}

/** The version a command's instances run: a UFOP's current build; remote commands have one. */
function runningVersion(record: CommandRecord): string | undefined {
  return record.kind === 'remote' ? REMOTE_VERSION : record.currentVersion;
}

/** The engine's Unix socket on this host: DOCKER_HOST's when it names one, else Docker's default. */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}
