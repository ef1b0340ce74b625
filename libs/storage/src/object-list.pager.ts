/** Most entries one list page may hold (S3's and Qiniu's limit). */
export const maxListLimit = 1000;

export interface KeyPageOptions {
  prefix: string;
  marker: string;
  limit: number;
  delimiter: string;
}

export interface KeyPage {
  keys: string[];
  commonPrefixes: string[];
  nextMarker?: string;
}

/** Sorts keys by their UTF-8 bytes, which (unlike `<` on UTF-16) is the order S3 and Qiniu list in. */
export function sortKeys(keys: Iterable<string>): string[] {
  return [...keys]
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ key }) => key);
}

/** Clamps a requested page size into 1..1000; missing or nonsense means the maximum. */
export function normaliseListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit < 1) return maxListLimit;
  return Math.min(maxListLimit, Math.floor(limit));
}

/**
 * One page over `sortedKeys` (byte order): keys under the prefix and after the marker, with keys
 * that contain the delimiter past the prefix rolled into common prefixes. Each common prefix
 * counts as one entry, and may itself be the next marker.
 */
export function pageKeys(sortedKeys: readonly string[], options: KeyPageOptions): KeyPage {
  const { prefix, marker, limit, delimiter } = options;
  const markerBytes = Buffer.from(marker, 'utf8');
  const page: KeyPage = { keys: [], commonPrefixes: [] };
  let entries = 0;
  let last: string | undefined;

  for (const key of sortedKeys) {
    if (!key.startsWith(prefix)) continue;
    if (marker && Buffer.compare(Buffer.from(key, 'utf8'), markerBytes) <= 0) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    // Keys sharing a common prefix sit next to each other; a prefix given as marker was on the last page.
    if (cut >= 0 && (entry === last || entry === marker)) continue;
    if (entries === limit) {
      page.nextMarker = last;
      break;
    }
    if (cut >= 0) page.commonPrefixes.push(entry);
    else page.keys.push(key);
    last = entry;
    entries++;
  }
  return page;
}
