/** Throughput within this fraction of the best counts as the best. */
export const THROUGHPUT_TOLERANCE = 0.05;
/** p95 may grow to this multiple of the p95 at concurrency 1. */
export const P95_GROWTH_LIMIT = 2;

/** The knee rule in words, as config/concurrency.json and BENCHMARKS.md state it. */
export const KNEE_RULE =
  `knee = the smallest concurrency n whose throughput is within ${THROUGHPUT_TOLERANCE * 100} % of the best throughput of the sweep ` +
  `and whose p95 latency is at most ${P95_GROWTH_LIMIT}× the p95 at n = 1; if no n meets both, the n with the highest ` +
  'throughput among those within the p95 bound (n = 1 always is)';

/** One point of a sweep: a worker concurrency and what it gave. */
export interface SweepPoint {
  concurrency: number;
  perSecond: number;
  p95Ms: number;
}

/** The knee of a sweep by KNEE_RULE; `points` must hold n = 1. */
export function pickKnee(points: readonly SweepPoint[]): number {
  const byConcurrency = [...points].sort((a, b) => a.concurrency - b.concurrency);
  const base = byConcurrency.find((point) => point.concurrency === 1);
  if (!base) throw new Error('a sweep must measure concurrency 1: the p95 bound is relative to it');
  const best = Math.max(...byConcurrency.map((point) => point.perSecond));
  const withinP95 = byConcurrency.filter((point) => point.p95Ms <= P95_GROWTH_LIMIT * base.p95Ms);
  const knee = withinP95.find((point) => point.perSecond >= (1 - THROUGHPUT_TOLERANCE) * best);
  if (knee) return knee.concurrency;
  return withinP95.reduce((a, b) => (b.perSecond > a.perSecond ? b : a), base).concurrency;
}

/** Commands not swept, and the swept one whose knee they take: the nearest in the work they do. */
export const DERIVED_COMMANDS: Readonly<Record<string, string>> = {
  // They decode the whole image (and watermark encodes a new one), as imageView2 does.
  watermark: 'imageView2',
  imageAve: 'imageView2',
  // It reads the header only and answers JSON, as imageInfo does.
  exif: 'imageInfo',
  // It decodes and encodes video, as avthumb does.
  avconcat: 'avthumb',
};

/** The command whose knee is the default for every command neither swept nor derived. */
export const DEFAULT_FROM = 'imageView2';

/** One point of the image threads × jobs sweep. */
export interface SettingPoint extends SweepPoint {
  /** libvips threads per image (sharp.concurrency). */
  threads: number;
}

/** The threads × jobs rule in words. */
export const SETTING_RULE =
  `setting = among every (libvips threads per image, jobs at once) pair whose p95 latency is at most ${P95_GROWTH_LIMIT}× the lowest p95 ` +
  `of a single job (n = 1 at any thread count), the pair with the fewest threads × jobs whose throughput is within ` +
  `${THROUGHPUT_TOLERANCE * 100} % of the best of them; ties go to fewer threads`;

/** The setting by SETTING_RULE; `points` must hold n = 1 for some thread count. */
export function pickSetting(points: readonly SettingPoint[]): { threads: number; concurrency: number } {
  const single = points.filter((point) => point.concurrency === 1);
  if (!single.length) throw new Error('a sweep must measure one job at once: the p95 bound is relative to it');
  const bound = P95_GROWTH_LIMIT * Math.min(...single.map((point) => point.p95Ms));
  const within = points.filter((point) => point.p95Ms <= bound);
  // The fastest single job always qualifies, so `within` is never empty.
  const best = Math.max(...within.map((point) => point.perSecond));
  const [chosen] = within
    .filter((point) => point.perSecond >= (1 - THROUGHPUT_TOLERANCE) * best)
    .sort((a, b) => a.threads * a.concurrency - b.threads * b.concurrency || a.threads - b.threads);
  return { threads: chosen.threads, concurrency: chosen.concurrency };
}
