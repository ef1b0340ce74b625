import { killWorker, restartRedis } from '../../bench/chaos/chaos.faults';
import { runFault } from '../../bench/chaos/chaos.run';

/** A fault's run: platform start, 20 s of load, then up to 150 s for every job and webhook to settle. */
const FAULT_TIMEOUT_MS = 300_000;

// The short variant of `npm run chaos`: the two faults every deployment meets, with the reconciler on.
describe('chaos: a worker killed and Redis restarted under load lose and duplicate nothing', () => {
  const log = (line: string) => process.stdout.write(`${line}\n`);

  it(
    'kill -9 of a worker mid-job: every accepted job ends once, every webhook arrives once',
    async () => {
      const result = await runFault(killWorker, true, log);
      expect(result.submitted).toBeGreaterThan(0);
      expect(result).toMatchObject({ lost: 0, completedTwice: 0, deliveredTwice: 0, refused: 0 });
      expect(result.completed + result.failed).toBe(result.submitted);
      expect(result.webhooksDelivered).toBe(result.submitted);
      expect(result.syncServed).toBe(result.syncSent);
    },
    FAULT_TIMEOUT_MS,
  );

  it(
    'kill -9 and restart of Redis (AOF, fsync always): nothing accepted is lost, nothing is done or sent twice',
    async () => {
      const result = await runFault(restartRedis, true, log);
      expect(result.submitted).toBeGreaterThan(0);
      expect(result).toMatchObject({ lost: 0, completedTwice: 0, deliveredTwice: 0 });
      expect(result.completed + result.failed).toBe(result.submitted);
      expect(result.webhooksDelivered).toBe(result.submitted);
    },
    FAULT_TIMEOUT_MS,
  );
});
