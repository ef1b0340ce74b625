import type { Benchmark, ProgressLog } from './benchmark';
import { MemorySample, SAMPLE_EVERY_MS, SOAK_CONCURRENCY, SOAK_PLAN, SoakRun } from './soak.plan';
import { soakSection } from './soak.report';
import { distinctUrls } from './support/distinct-urls';
import { fopRequest, uploadObject } from './support/fop-client';
import { keepAliveAgent } from './support/http-get';
import { timedRun } from './support/load';
import { residentMiB } from './support/memory';
import { loggedConcurrency, withPlatform } from './support/platform';
import { realisticJpeg } from './support/source-image';
import { SOURCE, THUMBNAIL, UNCACHED_VARIATION } from './thumbnail.plan';

const BUCKET = 'bench';
const KEY = 'photo.jpg';

/**
 * Five minutes of uncached thumbnails at 16 in flight, reading the gateway's and the worker's
 * resident memory every few seconds: whether what a worker holds stays bounded under a steady load.
 */
export const soakBenchmark: Benchmark = {
  name: 'soak',
  async run(log: ProgressLog): Promise<string> {
    const source = await realisticJpeg(SOURCE);
    return withPlatform({}, async (platform) => {
      await uploadObject(platform.url, BUCKET, KEY, source, 'image/jpeg');
      const workerConcurrency = loggedConcurrency(platform.worker, 'imageView2');
      log(`platform up; worker runs imageView2 ×${workerConcurrency}; ${SOAK_PLAN.durationMs / 1000} s at ${SOAK_CONCURRENCY} in flight`);
      const urls = distinctUrls('soak', UNCACHED_VARIATION, ({ qualities, widths, heights }) => `${platform.url}/${BUCKET}/${KEY}?imageView2/1/w/${widths}/h/${heights}/q/${qualities}`);
      const agent = keepAliveAgent(SOAK_CONCURRENCY);
      let answered = 0;
      const request = fopRequest(() => urls.next(), agent, 'MISS');
      const counted = async () => {
        await request();
        answered++;
      };
      const samples: MemorySample[] = [];
      const started = performance.now();
      const sample = () => {
        const worker = residentMiB(platform.worker.pid!);
        const gateway = residentMiB(platform.gateway.pid!);
        samples.push({ atS: (performance.now() - started) / 1000, answered, workerMiB: worker.now, gatewayMiB: gateway.now });
      };
      sample();
      const timer = setInterval(() => {
        sample();
        if (samples.length % 6 === 1) log(`${samples.at(-1)!.atS.toFixed(0)} s: ${answered} answered, worker ${samples.at(-1)!.workerMiB.toFixed(0)} MiB`);
      }, SAMPLE_EVERY_MS);
      try {
        const result = await timedRun(counted, SOAK_PLAN);
        sample();
        const run: SoakRun = {
          samples,
          workerPeakMiB: residentMiB(platform.worker.pid!).peak,
          gatewayPeakMiB: residentMiB(platform.gateway.pid!).peak,
          requests: result.completed,
          failed: result.failed,
          perSecond: result.opsPerSecond,
          workerConcurrency,
          sourceBytes: source.length,
        };
        return soakSection(run, THUMBNAIL);
      } finally {
        clearInterval(timer);
        agent.destroy();
      }
    });
  },
};
