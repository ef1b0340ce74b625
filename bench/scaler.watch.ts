import type { PoolDecision } from '../libs/keeper/src/pool-state.store';
import { ADMIN_TOKEN, DECISION_POLL_MS, INSTANCE_POLL_MS, POOL } from './scaler.plan';
import type { InstanceRef } from './scaler.runtimes';
import type { QueueCounter, QueueTotals } from './support/queue-counts';

/** Pause of `until` between two looks at what the watch saw, in ms. */
const UNTIL_POLL_MS = 20;

/** A Keeper instance record, as `GET /v1/instances` answers it. */
export interface InstanceRecordView extends InstanceRef {
  pool: string;
  state: 'starting' | 'warming' | 'ready' | 'draining';
}

/**
 * The scaler's decision at one tick, as `GET /v1/pools` shows it: its time (ms since the epoch, the
 * bench's clock), its inputs and what it decided.
 */
export type DecisionSample = Pick<PoolDecision, 'at' | 'pending' | 'arrivalPerS' | 'meanServiceS' | 'needed' | 'desired' | 'ready' | 'starting' | 'draining'>;

/** One look at the pool through Keeper and the queues. */
export interface PoolLook {
  at: number;
  /** The pool's instances, every state. */
  instances: InstanceRecordView[];
  totals: QueueTotals;
}

/**
 * Watches a pool from the outside, as an operator would: Keeper's instances (`GET /v1/instances`,
 * admin token) and the queue counts every INSTANCE_POLL_MS, the scaler's decisions (`GET /v1/pools`)
 * every DECISION_POLL_MS, each kept once. Also calls `onInstance` once per new instance id.
 */
export class PoolWatch {
  readonly looks: PoolLook[] = [];
  readonly decisions: DecisionSample[] = [];
  /** When each instance id was first seen, and first seen ready, in ms since the epoch. */
  readonly firstSeen = new Map<string, number>();
  readonly firstReady = new Map<string, number>();
  private running = true;
  private failure?: Error;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly baseUrl: string,
    private readonly counter: QueueCounter,
    private readonly onInstance: (instance: InstanceRecordView) => void,
  ) {
    this.loops = [this.every(INSTANCE_POLL_MS, () => this.lookAtInstances()), this.every(DECISION_POLL_MS, () => this.lookAtDecision())];
  }

  /** The latest look; undefined before the first. */
  get latest(): PoolLook | undefined {
    return this.looks[this.looks.length - 1];
  }

  /** Resolves with the first look that satisfies `test`, from now on; fails after timeoutMs or when a poll failed. */
  async until(what: string, test: (look: PoolLook) => boolean, timeoutMs: number): Promise<PoolLook> {
    const deadline = Date.now() + timeoutMs;
    let checked = this.looks.length;
    for (;;) {
      if (this.failure) throw new Error(`watching the pool failed: ${this.failure.message}`);
      for (; checked < this.looks.length; checked++) if (test(this.looks[checked])) return this.looks[checked];
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, UNTIL_POLL_MS));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async every(periodMs: number, look: () => Promise<void>): Promise<void> {
    while (this.running) {
      const started = Date.now();
      try {
        await look();
      } catch (error) {
        this.failure ??= error as Error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - (Date.now() - started))));
    }
  }

  private async lookAtInstances(): Promise<void> {
    const [answer, totals] = await Promise.all([this.admin<{ items: InstanceRecordView[] }>('/v1/instances'), this.counter.totals()]);
    const at = Date.now();
    const instances = answer.items.filter((instance) => instance.pool === POOL);
    for (const instance of instances) {
      if (!this.firstSeen.has(instance.id)) {
        this.firstSeen.set(instance.id, at);
        this.onInstance(instance);
      }
      if (instance.state === 'ready' && !this.firstReady.has(instance.id)) this.firstReady.set(instance.id, at);
    }
    this.looks.push({ at, instances, totals });
  }

  private async lookAtDecision(): Promise<void> {
    const answer = await this.admin<{ items: { name: string; decision?: DecisionSample }[] }>('/v1/pools');
    const decision = answer.items.find((pool) => pool.name === POOL)?.decision;
    if (decision && decision.at !== this.decisions[this.decisions.length - 1]?.at) this.decisions.push(decision);
  }

  private async admin<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}
