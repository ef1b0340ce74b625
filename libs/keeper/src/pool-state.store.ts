import { slotGroup, type RedisClient } from '@fopflow/queue';

/** What operators changed about a pool at run time, on top of config/pools.json. */
export interface PoolState {
  /** Version new instances start with; a change starts a gray upgrade. */
  version?: string;
  /** Image of that version (docker, swarm). */
  image?: string;
  /** A manual size (`resize -n`); absent: the scaler decides. */
  pinnedInstances?: number;
}

/** The scaler's last decision for a pool, with its inputs: for /metrics, `fopctl pools` and logs. */
export interface PoolDecision {
  at: number;
  pending: number;
  arrivalPerS: number;
  meanServiceS: number;
  needed: number;
  desired: number;
  ready: number;
  starting: number;
  draining: number;
  version: string;
  oldVersionInstances: number;
  pinned: boolean;
}

const stateKey = (pool: string) => `fopflow:pool:${pool}`;
const DECISIONS_GROUP = 'fopflow:scaler';

/** Decisions kept per pool for the console's chart: at the default 1 s tick, the last 10 minutes. */
export const DECISION_HISTORY_LENGTH = 600;

/** Pool state and scaler decisions in Redis, shared by the gateway (writes) and the scaler (reads). */
export class PoolStateStore {
  private readonly decisionsKey: string;
  private readonly historyKey: (pool: string) => string;

  constructor(private readonly redis: RedisClient) {
    // A decision updates the latest and the history in one MULTI: on a cluster they share one slot.
    const group = slotGroup(redis, DECISIONS_GROUP);
    this.decisionsKey = `${group}:decisions`;
    this.historyKey = (pool) => `${group}:history:${pool}`;
  }

  async get(pool: string): Promise<PoolState> {
    const raw = await this.redis.get(stateKey(pool));
    return raw ? (JSON.parse(raw) as PoolState) : {};
  }

  async update(pool: string, change: (state: PoolState) => PoolState): Promise<PoolState> {
    const next = change(await this.get(pool));
    await this.redis.set(stateKey(pool), JSON.stringify(next));
    return next;
  }

  async recordDecision(pool: string, decision: PoolDecision): Promise<void> {
    const text = JSON.stringify(decision);
    // A capped list: the history costs a fixed amount of memory however long the scaler runs.
    await this.redis
      .multi()
      .hset(this.decisionsKey, pool, text)
      .lpush(this.historyKey(pool), text)
      .ltrim(this.historyKey(pool), 0, DECISION_HISTORY_LENGTH - 1)
      .exec();
  }

  /** The pool's recent decisions, oldest first, those at or after `sinceMs` (ms since epoch). */
  async decisionHistory(pool: string, sinceMs = 0): Promise<PoolDecision[]> {
    const raw = await this.redis.lrange(this.historyKey(pool), 0, DECISION_HISTORY_LENGTH - 1);
    return raw
      .map((text) => JSON.parse(text) as PoolDecision)
      .filter((decision) => decision.at >= sinceMs)
      .reverse();
  }

  async decisions(): Promise<Record<string, PoolDecision>> {
    const raw = await this.redis.hgetall(this.decisionsKey);
    return Object.fromEntries(Object.entries(raw).map(([pool, text]) => [pool, JSON.parse(text) as PoolDecision]));
  }
}
