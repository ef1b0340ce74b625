// Where the objects of a set go. A step that writes a set (an HLS playlist and its segments, a
// series of snapshots) stores its primary object at the job's target key and each member at a key
// made from the target key, or from the fop's `pattern`, with the member's six-digit number:
//
//   no pattern:  <target key without its extension>-<NNNNNN>.<ext>   video/a.m3u8 → video/a-000000.ts
//   pattern:     the pattern with every $(count) replaced by NNNNNN  (Qiniu's savePattern rule)
//
// Members are numbered from 000000 and always land in the target's bucket, so the one write
// decision for the target's bucket covers every member.

/** The placeholder a pattern must hold: the member's number, six digits with leading zeros. */
export const objectSetCountVariable = '$(count)';
/** Longest decoded pattern, in characters. */
export const maxObjectSetPatternChars = 512;
/** Most members one set may have (segments of a long video, snapshots of a short interval). */
export const maxObjectSetMembers = 10_000;

/** The key of member `index` of the set whose primary object is at `targetKey`. */
export function objectSetMemberKey(targetKey: string, index: number, extension: string, pattern?: string): string {
  const count = String(index).padStart(6, '0');
  if (pattern !== undefined) return pattern.split(objectSetCountVariable).join(count);
  const slash = targetKey.lastIndexOf('/');
  const dot = targetKey.lastIndexOf('.');
  const base = dot > slash + 1 ? targetKey.slice(0, dot) : targetKey;
  return `${base}-${count}.${extension}`;
}
