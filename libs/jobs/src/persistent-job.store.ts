import { REDIS_KEY_PREFIX, scanKeys, type RedisClient } from '@fopflow/queue';
import { JOB_CODE_DESC, JobCode, JobItem, JobStatus, NotifyAttempt, PersistentJobMeta, PersistentRef } from './persistent-job.types';

const jobKey = (id: string) => `${REDIS_KEY_PREFIX}:pjob:${id}`;
const ownerKey = (owner: string) => `${REDIS_KEY_PREFIX}:pjobs:${owner}`;
const idempotencyKey = (owner: string, key: string) => `${REDIS_KEY_PREFIX}:idem:${owner}:${key}`;
const itemField = (index: number) => `item:${index}`;

/**
 * Ids of the async jobs not yet finished (an item still to end, or a webhook neither delivered
 * nor given up), scored by submit time: the reconciler walks this, not every record.
 */
export const OPEN_JOBS_KEY = `${REDIS_KEY_PREFIX}:open-jobs`;

/** How long an Idempotency-Key keeps answering the same job, in seconds. */
const IDEMPOTENCY_TTL_S = 24 * 3600;

/**
 * How long a submission may take from claiming its Idempotency-Key to queueing its job, in
 * seconds. A claim still pending past this, whose job has no record, was made by a gateway that
 * died in between; the next submission with the key takes it over.
 */
export const IDEMPOTENCY_COMMIT_GRACE_S = 60;

/** Marks a claim whose job is not queued yet; a confirmed claim holds the bare job id. */
const PENDING = 'pending:';

/** What FINISH_ITEM_SCRIPT answers when the last item's end closed a job that has no webhook. */
const CLOSED_WITHOUT_WEBHOOK = -3;

// An item's end is counted once, whoever reports it first; the last one sets the retention clock.
// Answers the items still running, or -3 when this end closed a job with no webhook to send.
const FINISH_ITEM_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return -1 end
local code = cjson.decode(old).code
if code == 0 or code == 3 then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local remaining = redis.call('HINCRBY', KEYS[1], 'remaining', -1)
if remaining <= 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  local meta = cjson.decode(redis.call('HGET', KEYS[1], 'meta'))
  if not meta.notifyUrl then return -3 end
end
return remaining`;

// Progress and "processing" never overwrite an item that has ended.
const PATCH_ITEM_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local item = cjson.decode(old)
if item.code == 0 or item.code == 3 then return 0 end
local patch = cjson.decode(ARGV[2])
for k, v in pairs(patch) do item[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(item))
return 1`;

// Read-modify-write in one step, and only on a record that still exists: writing a field into
// an expired key would recreate it without a TTL.
// A new record: its fields (ARGV[2..], name and value pairs) and its expiry (ARGV[1], s) in one step.
const CREATE_RECORD_SCRIPT = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

// Attempts are kept as JSON text appended to in place (cjson would turn an empty list into {}).
const RECORD_NOTIFY_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'notify:url', ARGV[1], 'notify:state', ARGV[2])
if ARGV[3] ~= '' then
  local attempts = redis.call('HGET', KEYS[1], 'notify:attempts')
  if attempts then attempts = string.sub(attempts, 1, -2) .. ',' .. ARGV[3] .. ']' else attempts = '[' .. ARGV[3] .. ']' end
  redis.call('HSET', KEYS[1], 'notify:attempts', attempts)
end
return 1`;

// Changes a claim only while it still holds what the caller saw (ARGV[1]): another submission
// may own it by now. ARGV[2] is the new value ('' deletes); ARGV[3] a fresh TTL in s ('' keeps it).
const SWAP_IDEMPOTENCY_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1`;

/** The job an Idempotency-Key names: confirmed once queued, pending (for ageS seconds) before. */
export interface IdempotencyClaim {
  id: string;
  pending: boolean;
  ageS: number;
}

/**
 * Async jobs (persistentId) in Redis: one hash per job with its meta, one field per item and a
 * count of items still running; an index per owner for listing. Records expire `retentionS`
 * after they end, so memory stays bounded however many jobs pass.
 */
export class PersistentJobStore {
  constructor(
    private readonly redis: RedisClient,
    /** How long a finished job stays queryable, in seconds (Qiniu: about 10 days). */
    private readonly retentionS: number,
  ) {}

  /** Records a new job with every item waiting. */
  create(meta: PersistentJobMeta, commands: string[]): Promise<void> {
    return this.createMany([{ meta, commands }]);
  }

  /**
   * Records new jobs with every item waiting: each record (hash and expiry in one script: a
   * record never lives without its expiry), each owner's index once with all of its jobs, and the
   * open-jobs index once. Separate commands, as on a Redis Cluster these keys sit in different
   * hash slots, sent together: one round trip on one Redis, however many jobs. A crash among them
   * leaves a record readable by id but not listed (it expires like any other), or a listed id
   * without a record (which lists and the reconciler skip).
   */
  async createMany(jobs: ReadonlyArray<{ meta: PersistentJobMeta; commands: string[] }>): Promise<void> {
    const cutoff = Date.now() - this.retentionS * 1000;
    const byOwner = new Map<string, PersistentJobMeta[]>();
    for (const { meta } of jobs) {
      const metas = byOwner.get(meta.owner) ?? [];
      byOwner.set(meta.owner, metas);
      metas.push(meta);
    }
    const scored = (metas: readonly PersistentJobMeta[]) => metas.flatMap((meta) => [meta.createdAt, meta.id]);
    await Promise.all([
      // A job that never ends still goes, after twice the retention.
      ...jobs.map(({ meta, commands }) => this.redis.eval(CREATE_RECORD_SCRIPT, 1, jobKey(meta.id), this.retentionS * 2, ...recordFields(meta, commands))),
      ...[...byOwner].map(([owner, metas]) =>
        this.redis
          .multi()
          .zadd(ownerKey(owner), ...scored(metas))
          .zremrangebyscore(ownerKey(owner), '-inf', cutoff)
          .expire(ownerKey(owner), this.retentionS * 2)
          .exec(),
      ),
      jobs.length > 0 && this.redis.zadd(OPEN_JOBS_KEY, ...scored(jobs.map(({ meta }) => meta))),
    ]);
  }

  /** The claim an Idempotency-Key already holds, or claims it (pending) for `id` and answers undefined. */
  async claimIdempotencyKey(owner: string, key: string, id: string): Promise<IdempotencyClaim | undefined> {
    const name = idempotencyKey(owner, key);
    if ((await this.redis.set(name, `${PENDING}${id}`, 'EX', IDEMPOTENCY_TTL_S, 'NX')) === 'OK') return undefined;
    const [[, value], [, ttl]] = (await this.redis.multi().get(name).ttl(name).exec()) as [[null, string | null], [null, number]];
    // Gone between the two calls (expired): the key is free again.
    if (value === null) return this.claimIdempotencyKey(owner, key, id);
    const pending = value.startsWith(PENDING);
    return { id: pending ? value.slice(PENDING.length) : value, pending, ageS: Math.max(0, IDEMPOTENCY_TTL_S - ttl) };
  }

  /** Marks `id`'s claim on the key as queued: from now on it is never taken over. */
  async confirmIdempotencyKey(owner: string, key: string, id: string): Promise<void> {
    await this.swapIdempotencyKey(owner, key, `${PENDING}${id}`, id, '');
  }

  /**
   * Gives up the claim `id` made on an Idempotency-Key (its job could not be queued), so that a
   * retry with the same key submits anew; answers false when the key names another job by now.
   */
  async releaseIdempotencyKey(owner: string, key: string, id: string): Promise<boolean> {
    return this.swapIdempotencyKey(owner, key, `${PENDING}${id}`, '', '');
  }

  /** Moves a pending claim of `abandoned` to `id` with a fresh TTL; false when the key holds anything else by now. */
  async takeOverIdempotencyKey(owner: string, key: string, abandoned: string, id: string): Promise<boolean> {
    return this.swapIdempotencyKey(owner, key, `${PENDING}${abandoned}`, `${PENDING}${id}`, String(IDEMPOTENCY_TTL_S));
  }

  private async swapIdempotencyKey(owner: string, key: string, expected: string, next: string, ttlS: string): Promise<boolean> {
    return (await this.redis.eval(SWAP_IDEMPOTENCY_SCRIPT, 1, idempotencyKey(owner, key), expected, next, ttlS)) === 1;
  }

  /** Removes a job that was never queued: its record and its place in the owner's listing. */
  async discard(meta: Pick<PersistentJobMeta, 'id' | 'owner'>): Promise<void> {
    // Separate commands, not one MULTI: on a Redis Cluster these keys sit in different hash slots.
    await this.redis.del(jobKey(meta.id));
    await this.redis.zrem(ownerKey(meta.owner), meta.id);
    await this.redis.zrem(OPEN_JOBS_KEY, meta.id);
  }

  async meta(id: string): Promise<PersistentJobMeta | undefined> {
    const raw = await this.redis.hget(jobKey(id), 'meta');
    return raw ? (JSON.parse(raw) as PersistentJobMeta) : undefined;
  }

  /** The prefop-shaped status of `id`, or undefined when there is none (or it expired). */
  async status(id: string): Promise<JobStatus | undefined> {
    const fields = await this.redis.hgetall(jobKey(id));
    if (!fields.meta) return undefined;
    const meta = JSON.parse(fields.meta) as PersistentJobMeta;
    const items = meta.fops.map((_, index) => JSON.parse(fields[itemField(index)]) as JobItem);
    const notify: JobStatus['notify'] = fields['notify:state']
      ? {
          url: fields['notify:url'],
          state: fields['notify:state'] as NonNullable<JobStatus['notify']>['state'],
          attempts: JSON.parse(fields['notify:attempts'] ?? '[]') as NotifyAttempt[],
        }
      : undefined;
    const code = jobCode(items, notify);
    return {
      id: meta.id,
      code,
      desc: JOB_CODE_DESC[code],
      inputKey: meta.inputKey,
      inputBucket: meta.inputBucket,
      pipeline: meta.pipeline,
      reqid: meta.reqid,
      creationDate: new Date(meta.createdAt).toISOString(),
      ...(meta.type && { type: meta.type }),
      items,
      ...(notify && { notify }),
    };
  }

  /** Ids of the owner's jobs, newest first; `before` (ms) pages back. */
  async list(owner: string, options: { limit: number; before?: number }): Promise<string[]> {
    const max = options.before === undefined ? '+inf' : `(${options.before}`;
    return this.redis.zrevrangebyscore(ownerKey(owner), max, '-inf', 'LIMIT', 0, options.limit);
  }

  /**
   * Ids of the newest jobs of every owner, newest first, for the operator's console: each
   * owner's index is read up to `limit`, then merged.
   */
  async listAll(limit: number): Promise<Array<{ id: string; owner: string; createdAt: number }>> {
    const prefix = ownerKey('');
    const found: Array<{ id: string; owner: string; createdAt: number }> = [];
    await scanKeys(this.redis, `${prefix}*`, async (keys) => {
      for (const key of keys) {
        const flat = await this.redis.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, limit);
        for (let index = 0; index < flat.length; index += 2) found.push({ id: flat[index], owner: key.slice(prefix.length), createdAt: Number(flat[index + 1]) });
      }
    });
    return found.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  /**
   * A page of the open index, oldest first: ids of unfinished jobs from rank `offset`. Jobs that
   * close during a walk shift later pages; what a walk misses, the next one reads.
   */
  async openJobs(offset: number, limit: number): Promise<Array<{ id: string; createdAt: number }>> {
    const flat = await this.redis.zrange(OPEN_JOBS_KEY, offset, offset + limit - 1, 'WITHSCORES');
    const page: Array<{ id: string; createdAt: number }> = [];
    for (let index = 0; index < flat.length; index += 2) page.push({ id: flat[index], createdAt: Number(flat[index + 1]) });
    return page;
  }

  /** Puts jobs into the open index (records written before the index existed). */
  async markOpen(jobs: ReadonlyArray<{ id: string; createdAt: number }>): Promise<void> {
    if (jobs.length) await this.redis.zadd(OPEN_JOBS_KEY, ...jobs.flatMap((job) => [job.createdAt, job.id]));
  }

  /** Drops ids from the open index (their records expired or were never kept). */
  async forgetOpen(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.redis.zrem(OPEN_JOBS_KEY, ...ids);
  }

  /** Updates a running item (processing, progress); an ended item stays as it is. */
  async patchItem(ref: PersistentRef, patch: Partial<JobItem>): Promise<void> {
    await this.redis.eval(PATCH_ITEM_SCRIPT, 1, jobKey(ref.id), itemField(ref.index), JSON.stringify(patch));
  }

  /** Records an item's end; answers true when it was the job's last running item. */
  async finishItem(ref: PersistentRef, item: JobItem): Promise<boolean> {
    const remaining = (await this.redis.eval(FINISH_ITEM_SCRIPT, 1, jobKey(ref.id), itemField(ref.index), JSON.stringify(item), this.retentionS)) as number;
    // Closed in the open index by a second command: on a Redis Cluster the index sits in another
    // slot. Were this process to die in between, the reconciler drops the closed job it still finds.
    if (remaining === CLOSED_WITHOUT_WEBHOOK) await this.forgetOpen([ref.id]);
    return remaining === 0 || remaining === CLOSED_WITHOUT_WEBHOOK;
  }

  /** Records the webhook's state and one attempt; a record that has expired stays gone. */
  async recordNotify(id: string, url: string, state: 'pending' | 'delivered' | 'failed', attempt?: NotifyAttempt): Promise<void> {
    await this.redis.eval(RECORD_NOTIFY_SCRIPT, 1, jobKey(id), url, state, attempt ? JSON.stringify(attempt) : '');
    // A webhook delivered or given up closes the job (a second command, as in finishItem).
    if (state !== 'pending') await this.forgetOpen([id]);
  }
}

/** A job's code from its items: processing while any runs, else done, failed or callback failed. */
function jobCode(items: JobItem[], notify: JobStatus['notify']): JobCode {
  if (items.some((item) => item.code === JobCode.Processing)) return JobCode.Processing;
  if (items.some((item) => item.code === JobCode.Waiting)) return JobCode.Waiting;
  if (notify?.state === 'failed') return JobCode.CallbackFailed;
  return items.every((item) => item.code === JobCode.Done) ? JobCode.Done : JobCode.Failed;
}

/** A new record's hash fields, as name and value pairs: the meta, the count of items to end, and each item waiting. */
function recordFields(meta: PersistentJobMeta, commands: readonly string[]): string[] {
  const fields = ['meta', JSON.stringify(meta), 'remaining', String(commands.length)];
  commands.forEach((cmd, index) => {
    const item: JobItem = { cmd, code: JobCode.Waiting, desc: JOB_CODE_DESC[JobCode.Waiting] };
    fields.push(itemField(index), JSON.stringify(item));
  });
  return fields;
}
