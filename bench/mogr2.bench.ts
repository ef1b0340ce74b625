// (a) is sharp with nothing of Fopflow around it, so the bench uses it directly, not through libs/media.
import sharp from 'sharp';
import type { Benchmark, ProgressLog } from './benchmark';
import { MOGR2, MOGR2_LEVELS, MOGR2_PLAN } from './mogr2.plan';
import { mogr2Section } from './mogr2.report';
import { distinctUrls } from './support/distinct-urls';
import { measureSharpVsGateway } from './support/sharp-vs-gateway';
// The same 12 MP photo, and the same small spread of box and quality, as the thumbnail benchmark.
import { SOURCE, UNCACHED_VARIATION } from './thumbnail.plan';

export const mogr2Benchmark: Benchmark = {
  name: 'mogr2',
  async run(log: ProgressLog): Promise<string> {
    const { width, height, quality } = MOGR2;
    const run = await measureSharpVsGateway({
      command: 'imageMogr2',
      source: SOURCE,
      levels: MOGR2_LEVELS,
      plan: MOGR2_PLAN,
      rawSharp: (source) => sharp(source).resize(width, height, { fit: 'inside' }).jpeg({ quality }).toBuffer(),
      cachedFop: `imageMogr2/thumbnail/${width}x${height}`,
      uncachedUrls: (objectUrl) =>
        distinctUrls('imageMogr2', UNCACHED_VARIATION, ({ qualities, widths, heights }) =>
          `${objectUrl}?imageMogr2/thumbnail/${widths}x${heights}/quality/${qualities}`,
        ),
      log,
    });
    return mogr2Section(run);
  },
};
