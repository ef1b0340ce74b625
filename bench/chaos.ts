import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskFull, Fault, killGateway, killWorker, receiverDown, restartRedis } from './chaos/chaos.faults';
import { REPO_ROOT } from './chaos/chaos.platform';
import { ChaosResult, runFault } from './chaos/chaos.run';
import { machineFacts, machineSection } from './support/machine';
import { figureColumns, markdownTable, wordColumns } from './support/markdown';

const REPORT_FILE = join(REPO_ROOT, 'RELIABILITY.md');

/** The five faults, each on a fresh platform; the disk-full one needs a tmpfs mount (root). */
function faults(): Fault[] {
  const list: Fault[] = [killWorker, killGateway, restartRedis, receiverDown];
  try {
    list.push(diskFull(mkdtempSync(join(tmpdir(), 'fopflow-chaos-disk-'))));
  } catch (error) {
    console.log(`[chaos] ${(error as Error).message}: that fault is not run`);
  }
  return list;
}

/**
 * `npm run chaos [-- --without-reconciler] [-- <fault name part>...]`: runs every fault under a
 * steady load and writes the table into RELIABILITY.md. With --without-reconciler it also runs
 * each fault with no scaler, so no reconciler, for comparison.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const both = args.includes('--without-reconciler');
  const wanted = args.filter((arg) => !arg.startsWith('--'));
  const started = new Date();
  const log = (line: string) => console.log(`[chaos ${Math.round((Date.now() - started.getTime()) / 1000)}s] ${line}`);
  const results: ChaosResult[] = [];
  for (const fault of faults()) {
    if (wanted.length && !wanted.some((part) => fault.name.includes(part))) {
      fault.cleanup?.();
      continue;
    }
    for (const reconciler of both ? [true, false] : [true]) {
      const result = await runFault(fault, reconciler, log);
      log(JSON.stringify(result));
      results.push(result);
    }
  }
  const text = report(results, started, `npm run chaos${args.length ? ` -- ${args.join(' ')}` : ''}`);
  // A run of some faults only prints its table: RELIABILITY.md holds a whole run.
  if (wanted.length) console.log(text);
  else {
    writeFileSync(REPORT_FILE, text);
    log(`wrote ${REPORT_FILE}`);
  }
  const bad = results.filter((r) => r.reconciler && (r.lost || r.completedTwice || r.deliveredTwice));
  if (bad.length) process.exitCode = 1;
}

function report(results: ChaosResult[], date: Date, command: string): string {
  const rows = results.map((r) => [
    r.fault,
    r.reconciler ? 'on' : 'off',
    String(r.submitted),
    String(r.completed),
    String(r.failed),
    String(r.completedTwice),
    String(r.lost),
    String(r.refused),
    String(r.webhooksDelivered),
    String(r.deliveredTwice),
    `${r.syncServed}/${r.syncSent}`,
  ]);
  const columns = [...wordColumns('Fault', 'Reconciler'), ...figureColumns('Jobs submitted', 'Completed', 'Failed (reported)', 'Completed twice', 'Lost', 'Refused', 'Webhooks delivered', 'Delivered twice', 'Sync served/sent')];
  const notes = results.flatMap((r) => [`- **${r.fault}**: ${r.what}.`, ...r.failures.map((failure) => `  - failed with: \`${failure}\``)]);
  return `# Reliability

Faults injected by \`npm run chaos\` into a real platform (built gateway, worker, scaler with the job
records reconciler, private redis-server with AOF and \`appendfsync always\`, so an answered write is on disk) under a steady load
of async jobs (each with a saveas and a webhook to a local receiver) and sync fop URLs, about five
of each a second for 20 s, the fault 6 s in. Clients retry what the platform could not answer
(async submissions with the same Idempotency-Key) for up to a minute. Then every accepted job
gets up to 150 s to end and its webhook to arrive.

- *Completed twice*: two jobs for one Idempotency-Key, or a result rewritten after it was reported done.
- *Lost*: accepted, but with no end (still waiting or processing, no record, or ended as "lost").
- *Failed (reported)*: ended failed with its reason in the status and the webhook: not lost, not done.
- *Delivered twice*: job ids whose webhook the receiver answered 2xx more than once.

Every async job of the load has a webhook, so each is one BullMQ flow whose parent is its webhook
job (see ARCHITECTURE.md): BullMQ starts it once, when its last item has ended, so no listener has
to notice the last item and a worker killed between an item's end and that notice cannot lose the
webhook. Redis runs with \`appendfsync always\`, which answers a write only once it is on disk, so a
202 means the job survives a \`kill -9\`; with \`everysec\` (the embedded Redis of \`npm start\`) a
Redis killed that way can take its last second of writes with it. Deployments that need the
guarantee set \`always\`.

${machineSection(machineFacts(), date, command)}

## Results

${markdownTable(columns, rows)}

## Faults

${notes.join('\n')}
`;
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
