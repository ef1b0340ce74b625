import { slotGroup, type RedisClient } from '@fopflow/queue';

/** Where an instance is in its life: only `ready` instances count as capacity. */
export type InstanceState = 'starting' | 'warming' | 'ready' | 'draining';

/** One worker instance as Keeper records it. */
export interface InstanceRecord {
  id: string;
  pool: string;
  version: string;
  runtime: string;
  host: string;
  pid: number;
  commands: string[];
  state: InstanceState;
  /** Jobs it is running now. */
  inFlight: number;
  startedAt: number;
  heartbeatAt: number;
}

const PREFIX = 'fopflow:keeper';

/** How often instances heartbeat, in ms. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** An instance silent this long is dead and reaped, in ms. */
export const INSTANCE_TTL_MS = 10_000;

/**
 * The instance registry ("Keeper"): every worker instance records itself and heartbeats; a record
 * expires when its heartbeats stop, so a killed instance disappears without anyone cleaning up.
 * Discovery (which ready instances serve a command) reads the same records.
 */
export class Keeper {
  private readonly indexKey: string;
  private readonly instanceKey: (id: string) => string;

  constructor(private readonly redis: RedisClient) {
    // A heartbeat writes a record and the index in one MULTI, and a read MGETs every record: on a
    // cluster all of them share one hash slot.
    const group = slotGroup(redis, PREFIX);
    this.indexKey = `${group}:instances`;
    this.instanceKey = (id) => `${group}:instance:${id}`;
  }

  /** Records or refreshes an instance; its record lives INSTANCE_TTL_MS past this heartbeat. */
  async heartbeat(record: Omit<InstanceRecord, 'heartbeatAt'>): Promise<void> {
    const now = Date.now();
    const full: InstanceRecord = { ...record, heartbeatAt: now };
    await this.redis
      .multi()
      .set(this.instanceKey(record.id), JSON.stringify(full), 'PX', INSTANCE_TTL_MS)
      .zadd(this.indexKey, now, record.id)
      .exec();
  }

  /** Removes an instance that stopped cleanly. */
  async remove(id: string): Promise<void> {
    await this.redis.multi().del(this.instanceKey(id)).zrem(this.indexKey, id).exec();
  }

  /** Every live instance (optionally of one pool); dead ones are reaped on the way. */
  async instances(pool?: string): Promise<InstanceRecord[]> {
    await this.redis.zremrangebyscore(this.indexKey, '-inf', Date.now() - INSTANCE_TTL_MS);
    const ids = await this.redis.zrange(this.indexKey, 0, -1);
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map(this.instanceKey));
    const records = raw.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as InstanceRecord);
    return pool === undefined ? records : records.filter((record) => record.pool === pool);
  }

  /** Command → ids of the ready instances that run it. */
  async discovery(): Promise<Record<string, string[]>> {
    const map: Record<string, string[]> = {};
    for (const record of await this.instances()) {
      if (record.state !== 'ready') continue;
      for (const command of record.commands) (map[command] ??= []).push(record.id);
    }
    return map;
  }
}
