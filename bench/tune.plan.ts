import { distinctUrls, DistinctUrls, range } from './support/distinct-urls';
import type { LoadPlan } from './support/load';
import type { ClipSpec } from './support/source-clip';

/** Where the sources live in the tuning platform's storage. */
export const BUCKET = 'tune';
export const PHOTO_KEY = 'photo-12mp.jpg';
export const CLIP_KEY = 'clip-720p.mp4';

/** The av commands' source: 3 s of 720p30 with a tone (avthumb makes it 360p). */
export const TUNE_CLIP: ClipSpec = { width: 1280, height: 720, framesPerSecond: 30, durationS: 3 };

/** Worker concurrencies swept, per family. */
export const IMAGE_LEVELS = [1, 2, 3, 4, 6, 8] as const;
export const AV_LEVELS = [1, 2, 3] as const;

/** libvips threads per image swept for the image representative: powers of two up to the cores. */
export function imageThreadLevels(cores: number): number[] {
  const levels = [1];
  while (levels[levels.length - 1] * 2 <= cores) levels.push(levels[levels.length - 1] * 2);
  return levels;
}

/** Requests in flight per job slot: enough offered load that the worker never waits for work. */
export const IN_FLIGHT_PER_SLOT = 2;

/**
 * Short cells: every level is measured twice (up the levels, then down), each on a freshly
 * started platform (3–4 s to boot): 54 cells, plus 12 for each extra count of libvips threads
 * per image (one on 2 cores), about eleven minutes in all.
 */
const IMAGE_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 1_000, durationMs: 4_000, maxOps: 50_000 };
const AV_PLAN: Omit<LoadPlan, 'concurrency'> = { warmupMs: 1_000, durationMs: 7_000, maxOps: 50_000 };

/** Copies of one source, one per request, for a command that takes no parameters to vary. */
export interface ObjectPool {
  /** Which source is copied. */
  of: 'photo' | 'clip';
  /** Untimed requests before each timed run. */
  warmupOps: number;
  /** Timed requests per cell at most (the rest of the copies). */
  measuredOps: number;
}

/** One command swept: its family's levels, its load, and where each request's distinct URL comes from. */
export interface TunedCommand {
  command: string;
  family: 'image' | 'av';
  levels: readonly number[];
  plan: Omit<LoadPlan, 'concurrency'>;
  /** What one request does, for the report. */
  request: string;
  /** Set when the command has nothing to vary: each request reads another copy of the source. */
  pool?: ObjectPool;
  /** Distinct URLs for one cell, from the object URL maker (bucket key → URL). */
  urls(objectUrl: (key: string) => string): DistinctUrls;
}

/** Key of copy `index` of a pool. */
export function poolKey(of: ObjectPool['of'], index: number): string {
  return `pool/${of}-${index}.${of === 'photo' ? 'jpg' : 'mp4'}`;
}

function poolSize(pool: ObjectPool): number {
  return pool.warmupOps + pool.measuredOps;
}

/** A cell's URLs over a pool: one copy each, `fop` on every one. */
function pooledUrls(command: string, pool: ObjectPool, fop: string, objectUrl: (key: string) => string): DistinctUrls {
  const indexes = range(0, poolSize(pool) - 1);
  return distinctUrls(command, { index: indexes }, ({ index }) => `${objectUrl(poolKey(pool.of, index))}?${fop}`);
}

const PHOTO_POOL: ObjectPool = { of: 'photo', warmupOps: 40, measuredOps: 160 };
const CLIP_POOL: ObjectPool = { of: 'clip', warmupOps: 12, measuredOps: 100 };

/** The family representatives, in sweep order. */
export const TUNED_COMMANDS: readonly TunedCommand[] = [
  {
    command: 'imageView2',
    family: 'image',
    levels: IMAGE_LEVELS,
    plan: IMAGE_PLAN,
    request: '12 MP JPEG → `imageView2/1/w/<310–330>/h/<310–330>/q/<65–85>`',
    urls: (objectUrl) =>
      distinctUrls('imageView2', { q: range(65, 85), w: range(310, 330), h: range(310, 330) }, ({ q, w, h }) =>
        `${objectUrl(PHOTO_KEY)}?imageView2/1/w/${w}/h/${h}/q/${q}`,
      ),
  },
  {
    command: 'imageMogr2',
    family: 'image',
    levels: IMAGE_LEVELS,
    plan: IMAGE_PLAN,
    request: '12 MP JPEG → `imageMogr2/thumbnail/<310–330>x<310–330>/quality/<65–85>`',
    urls: (objectUrl) =>
      distinctUrls('imageMogr2', { q: range(65, 85), w: range(310, 330), h: range(310, 330) }, ({ q, w, h }) =>
        `${objectUrl(PHOTO_KEY)}?imageMogr2/thumbnail/${w}x${h}/quality/${q}`,
      ),
  },
  {
    command: 'imageInfo',
    family: 'image',
    levels: IMAGE_LEVELS,
    plan: { ...IMAGE_PLAN, maxOps: PHOTO_POOL.measuredOps },
    pool: PHOTO_POOL,
    request: `\`imageInfo\` of one of ${poolSize(PHOTO_POOL)} copies of the 12 MP JPEG`,
    urls: (objectUrl) => pooledUrls('imageInfo', PHOTO_POOL, 'imageInfo', objectUrl),
  },
  {
    command: 'avthumb',
    family: 'av',
    levels: AV_LEVELS,
    plan: AV_PLAN,
    request: '3 s 720p clip → `avthumb/mp4/s/640x360/ab/<32–127>k`',
    urls: (objectUrl) => distinctUrls('avthumb', { kbps: range(32, 127) }, ({ kbps }) => `${objectUrl(CLIP_KEY)}?avthumb/mp4/s/640x360/ab/${kbps}k`),
  },
  {
    command: 'vframe',
    family: 'av',
    levels: AV_LEVELS,
    plan: AV_PLAN,
    request: '3 s 720p clip → `vframe/jpg/offset/<0.0–2.9>/w/<630–650>/h/<350–370>`',
    urls: (objectUrl) =>
      distinctUrls('vframe', { tenths: range(0, 29), w: range(630, 650), h: range(350, 370) }, ({ tenths, w, h }) =>
        `${objectUrl(CLIP_KEY)}?vframe/jpg/offset/${(tenths / 10).toFixed(1)}/w/${w}/h/${h}`,
      ),
  },
  {
    command: 'avinfo',
    family: 'av',
    levels: AV_LEVELS,
    plan: { ...AV_PLAN, maxOps: CLIP_POOL.measuredOps },
    pool: CLIP_POOL,
    request: `\`avinfo\` of one of ${poolSize(CLIP_POOL)} copies of the 3 s 720p clip`,
    urls: (objectUrl) => pooledUrls('avinfo', CLIP_POOL, 'avinfo', objectUrl),
  },
];

/** Every pool the sweep needs, with its size: the copies to upload before the first cell. */
export function poolsToSeed(): { of: ObjectPool['of']; copies: number }[] {
  const sizes = new Map<ObjectPool['of'], number>();
  for (const { pool } of TUNED_COMMANDS) if (pool) sizes.set(pool.of, Math.max(sizes.get(pool.of) ?? 0, poolSize(pool)));
  return [...sizes].map(([of, copies]) => ({ of, copies }));
}
