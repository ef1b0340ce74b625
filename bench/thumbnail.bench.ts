// (a) is sharp with nothing of Fopflow around it, so the bench uses it directly, not through libs/media.
import sharp from 'sharp';
import type { Benchmark, ProgressLog } from './benchmark';
import { distinctUrls } from './support/distinct-urls';
import { measureSharpVsGateway } from './support/sharp-vs-gateway';
import { CELL_PLAN, CONCURRENCY_LEVELS, SOURCE, THUMBNAIL, UNCACHED_VARIATION } from './thumbnail.plan';
import { thumbnailSection } from './thumbnail.report';

export const thumbnailBenchmark: Benchmark = {
  name: 'thumbnail',
  async run(log: ProgressLog): Promise<string> {
    const run = await measureSharpVsGateway({
      command: 'imageView2',
      source: SOURCE,
      levels: CONCURRENCY_LEVELS,
      plan: CELL_PLAN,
      rawSharp: (source) => sharp(source).resize(THUMBNAIL.width, THUMBNAIL.height, { fit: 'cover' }).jpeg({ quality: THUMBNAIL.quality }).toBuffer(),
      cachedFop: `imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}`,
      uncachedUrls: (objectUrl) =>
        distinctUrls('thumbnail', UNCACHED_VARIATION, ({ qualities, widths, heights }) =>
          `${objectUrl}?imageView2/1/w/${widths}/h/${heights}/q/${qualities}`,
        ),
      // ipx's own modifiers for the same work: s_<w>x<h> with fit_cover crops to the centre, q_ sets JPEG quality.
      ipxUrls: (ipxUrl, fileName) =>
        distinctUrls('ipx thumbnail', UNCACHED_VARIATION, ({ qualities, widths, heights }) =>
          `${ipxUrl}/s_${widths}x${heights},fit_cover,q_${qualities}/${fileName}`,
        ),
      npmStartRow: true,
      log,
    });
    return thumbnailSection(run);
  },
};
