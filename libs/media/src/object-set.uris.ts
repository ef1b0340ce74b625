import { posix } from 'node:path';

/**
 * The URI a playlist stored at `playlist` uses for the object at `memberKey` in the same bucket:
 * relative to the playlist (`noDomain/1`), else path-absolute (`/<bucket>/<key>`), which the
 * gateway serves whatever host players reach it by. Each path part is percent-encoded.
 */
export function memberUri(playlist: { bucket: string; key: string }, memberKey: string, relative: boolean): string {
  const encode = (path: string) => path.split('/').map(encodeURIComponent).join('/');
  if (!relative) return `/${encodeURIComponent(playlist.bucket)}/${encode(memberKey)}`;
  // Rooted at '/', so the answer never depends on the process's working directory.
  return encode(posix.relative(posix.dirname(`/${playlist.key}`), `/${memberKey}`));
}
