import { Redis } from 'ioredis';

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
const DECISIONS_KEY = 'fopflow:scaler:decisions';

/** Pool state and scaler decisions in Redis, shared by the gateway (writes) and the scaler (reads). */
export class PoolStateStore {
  constructor(private readonly redis: Redis) {}

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
    await this.redis.hset(DECISIONS_KEY, pool, JSON.stringify(decision));
  }

  async decisions(): Promise<Record<string, PoolDecision>> {
    const raw = await this.redis.hgetall(DECISIONS_KEY);
    return Object.fromEntries(Object.entries(raw).map(([pool, text]) => [pool, JSON.parse(text) as PoolDecision]));
  }
}
