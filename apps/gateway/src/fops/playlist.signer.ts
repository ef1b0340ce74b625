/**
 * Rewrites each media line of an HLS playlist that points at this gateway (relative,
 * path-absolute, or absolute on the playlist's own origin) with `sign(url)`: Qiniu's pm3u8. Lines
 * elsewhere (another host) and tags are kept as they are; a query the URI already had (an older
 * token) is dropped, since the new token must be the query's end.
 */
export function signPlaylist(text: string, playlistUrl: URL, sign: (url: string) => string): string {
  return text
    .split('\n')
    .map((line) => {
      const uri = line.trim();
      if (uri === '' || uri.startsWith('#')) return line;
      let resolved: URL;
      try {
        resolved = new URL(uri, playlistUrl);
      } catch {
        return line;
      }
      if (resolved.origin !== playlistUrl.origin) return line;
      return sign(`${resolved.origin}${resolved.pathname}`);
    })
    .join('\n');
}

/** True when the bytes start like an HLS playlist (`#EXTM3U`, after an optional BOM). */
export function isPlaylist(data: Buffer): boolean {
  return /^(\uFEFF)?#EXTM3U/.test(data.subarray(0, 16).toString('utf8'));
}
