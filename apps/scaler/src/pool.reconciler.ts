import { Logger } from '@nestjs/common';
import { InstanceRecord, Keeper, PoolDecision, PoolSettings, PoolStateStore } from '@fopflow/keeper';
import { InstanceRuntime, InstanceSpec, RuntimeInstance } from '@fopflow/runtime';
import { PoolObserver } from './pool.observer';
import { decide, neededInstances, Recommendations } from './scaling.policy';

/** Where a pool's run-time state comes from: Redis for configured pools, the registry for custom ones. */
export type PoolStateSource = Pick<PoolStateStore, 'get' | 'recordDecision'>;

/** An instance as the reconciler counts it: what the runtime started, joined with what Keeper heard. */
interface Member {
  id: string;
  version: string;
  state: InstanceRecord['state'] | 'launching';
  inFlight: number;
}

/**
 * Brings one pool to its desired size each tick, and through gray upgrades: instances of the new
 * version start first; old ones retire only while ready capacity stays at or above desired.
 */
export class PoolReconciler {
  private readonly logger: Logger;
  private readonly history: Recommendations = [];
  private readonly retiring = new Set<string>();
  private lastSummary = '';

  constructor(
    readonly name: string,
    private readonly settings: PoolSettings,
    private readonly observer: PoolObserver,
    private readonly keeper: Keeper,
    private readonly state: PoolStateSource,
    private readonly runtime: InstanceRuntime,
    private readonly env: Record<string, string>,
    private readonly concurrencyPerInstance: number,
    /** Last say over a new instance's spec (custom commands add their program's image). */
    private readonly customize: (spec: InstanceSpec) => InstanceSpec = (spec) => spec,
  ) {
    this.logger = new Logger(`Scaler:${name}`);
  }

  async tick(): Promise<PoolDecision> {
    const now = Date.now();
    const [observation, poolState, records, launched] = await Promise.all([
      this.observer.observe(),
      this.state.get(this.name),
      this.keeper.instances(this.name),
      this.runtime.list(this.name),
    ]);
    const version = poolState.version ?? this.settings.version;
    const members = this.members(records, launched);
    const active = members.filter((member) => member.state !== 'draining');
    const ready = active.filter((member) => member.state === 'ready');
    const needed = neededInstances({ ...observation, concurrencyPerInstance: this.concurrencyPerInstance }, this.settings);
    const pinned = poolState.pinnedInstances;
    const current = active.filter((member) => member.version === version).length;
    const desired = pinned ?? decide(needed, Math.max(current, ready.length), this.history, this.settings, now);

    const fresh = active.filter((member) => member.version === version);
    const old = active.filter((member) => member.version !== version);
    const toStart = Math.min(Math.max(0, desired - fresh.length), this.settings.maxScaleUpStep);
    for (let n = 0; n < toStart; n++) await this.start(version, poolState.image ?? this.settings.image);

    // Gray upgrade: old instances that give no capacity go at once; ready ones go one per tick,
    // and only while the ready capacity left stays at or above desired.
    old.filter((member) => member.state !== 'ready').forEach((member) => this.retire(member));
    const oldReady = old.filter((member) => member.state === 'ready').sort((a, b) => a.inFlight - b.inFlight);
    if (oldReady.length && ready.length > desired) this.retire(oldReady[0]);
    if (old.length === 0 && fresh.length > desired) {
      const idleFirst = [...fresh].sort((a, b) => rank(a) - rank(b) || a.inFlight - b.inFlight);
      idleFirst.slice(0, fresh.length - desired).forEach((member) => this.retire(member));
    }

    const decision: PoolDecision = {
      at: now,
      pending: observation.pending,
      arrivalPerS: round(observation.arrivalPerS),
      meanServiceS: round(observation.meanServiceS),
      needed,
      desired,
      ready: ready.length,
      starting: active.length - ready.length,
      draining: members.length - active.length,
      version,
      oldVersionInstances: old.length,
      pinned: pinned !== undefined,
    };
    this.log(decision, toStart);
    await this.state.recordDecision(this.name, decision);
    return decision;
  }

  /** Stops every instance of this pool (a custom command that was unregistered). */
  async retireAll(): Promise<number> {
    const launched = await this.runtime.list(this.name);
    await Promise.all(launched.map((instance) => this.runtime.stop(instance.id, this.settings.graceMs).catch(() => undefined)));
    return launched.length;
  }

  /** Retires everything this reconciler's runtime runs (scaler shutdown keeps nothing running). */
  async close(): Promise<void> {
    await this.observer.close();
  }

  private members(records: InstanceRecord[], launched: RuntimeInstance[]): Member[] {
    const byId = new Map<string, Member>();
    for (const instance of launched) byId.set(instance.id, { id: instance.id, version: instance.version, state: 'launching', inFlight: 0 });
    for (const record of records) byId.set(record.id, { id: record.id, version: record.version, state: record.state, inFlight: record.inFlight });
    for (const id of this.retiring) {
      const member = byId.get(id);
      if (member) member.state = 'draining';
    }
    return [...byId.values()];
  }

  private async start(version: string, image: string): Promise<void> {
    const instance = await this.runtime.start(this.customize({
      pool: this.name,
      version,
      image,
      commands: this.settings.commands,
      env: this.env,
      cpus: this.settings.cpus,
      memoryBytes: this.settings.memoryMiB ? this.settings.memoryMiB * 1024 * 1024 : undefined,
      graceMs: this.settings.graceMs,
    }));
    this.logger.log(`started ${instance.id} (version ${version})`);
  }

  private retire(member: Member): void {
    if (this.retiring.has(member.id)) return;
    this.retiring.add(member.id);
    this.logger.log(`retiring ${member.id} (version ${member.version}, ${member.state}, ${member.inFlight} in flight)`);
    this.runtime
      .stop(member.id, this.settings.graceMs)
      .catch((error: Error) => this.logger.warn(`stopping ${member.id}: ${error.message}`))
      .finally(() => this.retiring.delete(member.id));
  }

  private log(decision: PoolDecision, started: number): void {
    const summary = `pending ${decision.pending}, arrivals ${decision.arrivalPerS}/s × ${decision.meanServiceS}s → needed ${decision.needed}, desired ${decision.desired}${decision.pinned ? ' (pinned)' : ''}; ready ${decision.ready}, starting ${decision.starting}, draining ${decision.draining}${decision.oldVersionInstances ? `, ${decision.oldVersionInstances} of old versions` : ''}`;
    // Logged when the decision or the pool changes, with the inputs that led to it; not every tick.
    const key = JSON.stringify([decision.desired, decision.ready, decision.starting, decision.draining, decision.pinned, decision.oldVersionInstances]);
    if (key !== this.lastSummary || started) this.logger.log(`${summary}${started ? `; starting ${started}` : ''}`);
    this.lastSummary = key;
  }
}

/** Instances not yet ready go first when shedding: they hold no work and give no capacity yet. */
function rank(member: Member): number {
  return member.state === 'ready' ? 1 : 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
