import { closedLoopMethod, timeBoxText } from './support/method';
import { PLATFORM_SETUP } from './support/platform';
import type { SharpVsGatewayRun } from './support/sharp-vs-gateway';
import { LATENCY_FIGURES, sharpVsGatewayResults } from './support/sharp-vs-gateway.table';
import { CELL_PLAN, CONCURRENCY_LEVELS, SOURCE, THUMBNAIL, UNCACHED_VARIATION } from './thumbnail.plan';

const MiB = 1024 * 1024;

/** The thumbnail section of BENCHMARKS.md: what was measured, how, the table and a reading. */
export function thumbnailSection(run: SharpVsGatewayRun): string {
  return [
    `## Thumbnail: 12 MP JPEG → ${THUMBNAIL.width}×${THUMBNAIL.height}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` (alone: \`npm run bench -- thumbnail\`).`,
    `One ${SOURCE.width}×${SOURCE.height} JPEG (q ${SOURCE.quality}, ${(run.sourceBytes / MiB).toFixed(1)} MiB) made into a`,
    `${THUMBNAIL.width}×${THUMBNAIL.height} thumbnail (\`imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}\`: cover, centre crop,`,
    `JPEG q ${THUMBNAIL.quality}) by raw sharp, by ipx and by Fopflow, each with ${CONCURRENCY_LEVELS.join(', ')} operations in flight. The source is made by`,
    'the bench: a diagonal colour gradient under per-pixel Gaussian grain, so that it is as large and as slow to',
    'decode as a phone photo (a flat colour decodes many times faster). Absolute figures depend on the picture;',
    'the ratios between columns much less.',
    '',
    '### How it is measured',
    '',
    ...howItIsMeasured(run),
    '',
    ...sharpVsGatewayResults(run, 'imageView2'),
  ].join('\n');
}

function howItIsMeasured(run: SharpVsGatewayRun): string[] {
  const { qualities, widths, heights } = UNCACHED_VARIATION;
  const span = (values: number[]) => `${values[0]}–${values[values.length - 1]}`;
  return [
    ...closedLoopMethod(timeBoxText(CELL_PLAN), LATENCY_FIGURES),
    '',
    `**(a) raw sharp**: \`sharp(buf).resize(${THUMBNAIL.width}, ${THUMBNAIL.height}, { fit: 'cover' }).jpeg({ quality: ${THUMBNAIL.quality} }).toBuffer()\``,
    'in the bench process, on one Buffer held in memory. No HTTP, disk or queue: the ceiling of this machine,',
    'and the denominator of the *× raw sharp* column, which every row has.',
    '',
    '**ipx**: ipx 3 (unjs/ipx, the npm package a user would pick for image URLs) in a process of its own, built',
    'as `ipx serve` builds it (`createIPX` + `ipxFSStorage` + `createIPXNodeServer` on node:http), serving the same',
    'source bytes from a file in a temp dir on the same disk as the platform\'s data dir. Every request is a distinct',
    `URL, \`/s_<${span(widths)}>x<${span(heights)}>,fit_cover,q_<${span(qualities)}>/photo.jpg\`, the same spread of box and q as (b):`,
    'ipx reads the file, decodes, resizes with `fit: cover`, encodes JPEG and answers; it keeps no result cache. Only',
    'a 200 with a body counts. The denominator of the *× ipx* column.',
    '',
    '**(b) gateway, uncached**: the built gateway (`dist/apps/gateway`), one worker (`dist/apps/worker`, running',
    `imageView2 jobs ×${run.workerConcurrency} at once, from config/concurrency.json) and a private redis-server, with`,
    `${PLATFORM_SETUP}, on a fresh`,
    'data dir; the source is uploaded once. Every request is a distinct fop URL,',
    `\`imageView2/1/w/<${span(widths)}>/h/<${span(heights)}>/q/<${span(qualities)}>\`, so it has a new result key and runs a real`,
    'job: the gateway stats the source, misses the cache (one Redis lookup) and enqueues; the worker reads the source',
    'from disk, checks its header, thumbnails it and writes the result cache; the gateway opens the result the job',
    'names (no second lookup) and sends it. Distinct URLs',
    'rather than deleting the cache between requests, because a delete would race with the other requests in',
    'flight and add its own Redis and disk work to the figure. The spans stay close to the box and q of (a), and',
    'encoding ~0.1 MP is small next to decoding 12 MP, so the work per request is that of (a).',
    'An answer counts only if it is a 200 with `X-Fop-Cache: MISS`. *Job ms* is the mean time the worker spent',
    "per job during the cell (from the gateway's `fopflow_job_duration_seconds`): from picking the job up to its",
    'result being in the cache; the rest of the latency is HTTP and queue.',
    '',
    `**(c) gateway, cached**: the same platform, the same URL \`?imageView2/1/w/${THUMBNAIL.width}/h/${THUMBNAIL.height}\` every time after`,
    'one warm-up request; an answer counts only if it is a 200 with `X-Fop-Cache: HIT`. After the access decision',
    "and the per-client rate limits (two Redis round trips: the bench lifts the limits out of reach, but they still",
    "count), it is one lookup in the gateway's in-memory index of results (the source's etag kept for",
    '`FOPFLOW_SOURCE_ETAG_TTL_MS`) and one write of the result it holds: no stat, no result-cache lookup.',
    '',
    "**(d) npm start, uncached**: (b)'s requests against a second platform set up as `npm start` sets it up",
    '(scripts/start.mjs): the gateway and the scaler with the process runtime, which starts the workers of',
    "config/pools.json (the image pool's minimum at once, more while a backlog lasts), both default tiers",
    '(`paid,free`) sharing each worker\'s slots by weight; only the per-client rate limits stay lifted. One untimed',
    'request first waits for a worker to take it.',
    '',
    '(a), ipx and (b) are measured level by level in turn, then (c), then (d) on its own platform: on a shared',
    'machine, a change in what else runs then falls on both sides of a ratio alike.',
  ];
}
