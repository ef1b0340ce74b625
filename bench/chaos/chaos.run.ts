import { LocalDiskStorage } from '@fopflow/storage';
import { BENCH_ADMIN_TOKEN } from '../support/admin-token';
import { keysEnv, SignedClient } from '../support/signed-client';
import { realisticJpeg } from '../support/source-image';
import { BUCKET, ChaosLoad, SOURCE_KEY, WebhookLedger } from './chaos.load';
import { COMPRESSED_WEBHOOK_RETRY_S, Fault } from './chaos.faults';
import { startChaosPlatform } from './chaos.platform';

/** How long the steady load runs, in ms; the fault comes FAULT_AT_MS into it. */
const LOAD_MS = 20_000;
const FAULT_AT_MS = 6_000;

/** How long every accepted job may take to end and its webhook to arrive after the load stops, in ms. */
const DRAIN_MS = 150_000;

/** Pause between two looks at every job's status while draining, in ms. */
const DRAIN_POLL_MS = 2_000;

const KEY = { accessKey: 'ak-chaos', secretKey: 'sk-chaos-secret', tier: 'paid' };

/** One fault's figures: the RELIABILITY.md row. */
export interface ChaosResult {
  fault: string;
  what: string;
  reconciler: boolean;
  submitted: number;
  /** Accepted jobs that ended done. */
  completed: number;
  /** Accepted jobs that ended failed, with the reason reported (not lost). */
  failed: number;
  /** Results stored twice: two jobs for one Idempotency-Key, or a result rewritten after it was reported done. */
  completedTwice: number;
  /** Accepted jobs with no end (still waiting/processing, record gone, or failed as "lost"). */
  lost: number;
  /** Submissions never accepted although retried for a minute. */
  refused: number;
  webhooksDelivered: number;
  /** Job ids whose webhook the receiver answered 2xx more than once. */
  deliveredTwice: number;
  syncSent: number;
  syncServed: number;
  /** Distinct failure reasons, and how jobs were lost, for the notes. */
  failures: string[];
}

interface Status {
  code: number;
  items: { code: number; error?: string; key?: string }[];
  notify?: { state: string };
}

/** Boots a platform, runs the steady load, injects `fault` once, drains, and counts. */
export async function runFault(fault: Fault, reconciler: boolean, log: (line: string) => void): Promise<ChaosResult> {
  const receiver = new WebhookLedger();
  await receiver.start();
  const platform = await startChaosPlatform({
    reconciler,
    workers: 1,
    env: {
      FOPFLOW_KEYS: keysEnv(KEY),
      FOPFLOW_TIERS: 'paid',
      FOPFLOW_DEFAULT_TIER: 'paid',
      FOPFLOW_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      FOPFLOW_ALLOWED_TARGETS: '127.0.0.1',
      FOPFLOW_WEBHOOK_RETRY_S: COMPRESSED_WEBHOOK_RETRY_S,
      FOPFLOW_JOB_LOCK_MS: '5000',
      FOPFLOW_RECONCILE_INTERVAL_S: '2',
      FOPFLOW_RECONCILE_GRACE_S: '5',
      ...fault.env,
    },
  });
  try {
    const client = new SignedClient(platform.url, KEY);
    await client.upload(BUCKET, SOURCE_KEY, await realisticJpeg({ width: 640, height: 480, quality: 85 }), 'image/jpeg');
    const load = new ChaosLoad(client, receiver.url, 'job');
    load.start();
    await new Promise((resolve) => setTimeout(resolve, FAULT_AT_MS));
    log(`${fault.name}: injecting`);
    await fault.inject({ platform, receiver, log: (line) => log(`${fault.name}: ${line}`) });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, LOAD_MS - FAULT_AT_MS)));
    await load.stop();
    log(`${fault.name}: load stopped (${load.ledger.jobs.length} async, ${load.ledger.syncSent} sync); draining`);
    return await drainAndCount(fault, reconciler, client, receiver, load, new LocalDiskStorage(platform.dataDir));
  } finally {
    await platform.stop();
    await receiver.close();
    fault.cleanup?.();
  }
}

async function drainAndCount(
  fault: Fault,
  reconciler: boolean,
  client: SignedClient,
  receiver: WebhookLedger,
  load: ChaosLoad,
  storage: LocalDiskStorage,
): Promise<ChaosResult> {
  const accepted = load.ledger.jobs.filter((job) => job.ids.size > 0);
  const statuses = new Map<string, Status | undefined>();
  /** When each job's result was stored, as first seen once it was done. */
  const storedAt = new Map<string, number>();
  const ended = (status?: Status) => status !== undefined && status.code !== 1 && status.code !== 2;
  const settled = (id: string, status?: Status) => ended(status) && (receiver.delivered.has(id) || status?.notify?.state === 'failed');
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    for (const job of accepted) {
      for (const id of job.ids) {
        if (settled(id, statuses.get(id))) continue;
        const answer = await client.raw('GET', `/v1/jobs/${id}`).catch(() => undefined);
        const status = answer?.status === 200 ? (JSON.parse(answer.text) as Status) : undefined;
        statuses.set(id, status);
        if (status?.code === 0 && !storedAt.has(id)) {
          const info = await storage.stat(BUCKET, job.saveasKey).catch(() => undefined);
          if (info) storedAt.set(id, info.putTime);
        }
      }
    }
    const open = [...statuses].filter(([id, status]) => !settled(id, status)).length;
    if (open === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  let completed = 0;
  let failed = 0;
  let lost = 0;
  let rewritten = 0;
  const failures = new Set<string>();
  for (const [id, status] of statuses) {
    const error = status?.items.find((item) => item.error)?.error;
    if (!ended(status) || error?.startsWith('lost:')) {
      lost++;
      failures.add(`lost: ${status ? (error ?? `still code ${status.code}`) : 'no record (404): Redis lost it after the 202'}`.slice(0, 160));
    }
    else if (status!.code === 0) completed++;
    else {
      failed++;
      if (error) failures.add(error.slice(0, 120));
    }
    const job = accepted.find((candidate) => candidate.ids.has(id))!;
    const now = await storage.stat(BUCKET, job.saveasKey).catch(() => undefined);
    if (storedAt.has(id) && now && now.putTime !== storedAt.get(id)) rewritten++;
  }
  const duplicateJobs = accepted.filter((job) => job.ids.size > 1).length;
  return {
    fault: fault.name,
    what: fault.what,
    reconciler,
    submitted: accepted.length,
    completed,
    failed,
    completedTwice: duplicateJobs + rewritten,
    lost,
    refused: load.ledger.refused,
    webhooksDelivered: [...statuses.keys()].filter((id) => receiver.delivered.has(id)).length,
    deliveredTwice: [...receiver.delivered.values()].filter((count) => count > 1).length,
    syncSent: load.ledger.syncSent,
    syncServed: load.ledger.syncServed,
    failures: [...failures],
  };
}
