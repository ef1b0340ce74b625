// ffmpeg and ffprobe name every file they touch in their messages. Those messages end up in job
// failures that clients read, so host paths are replaced before anything leaves libs/media.

/** Most characters of ffmpeg output quoted in an error message. */
const maxTailChars = 600;
/** Most lines of ffmpeg output quoted in an error message. */
const maxTailLines = 6;

// An absolute path of two or more segments, up to the next space or quote; replaced by its last
// segment so `/srv/data/buckets/x/abc` becomes `abc` (no host layout leaks, the file stays nameable).
const absolutePath = /(?<=^|[\s'"(=,[])\/(?:[^\s'"/]+\/)+([^\s'"/:,]+)/g;
// Progress lines (`frame=  50 fps=...`, `size= 1kB time=...`) say nothing about a failure.
const progressLine = /^\s*(frame|size)=/;

/**
 * Replaces each known path (input, output, work dir) by its label, then any other absolute path by
 * its last segment; `replacements` maps a path to what the message should call it.
 */
export function withoutHostPaths(text: string, replacements: ReadonlyMap<string, string>): string {
  let result = text;
  // Longest first, so a file inside the work dir is named before the work dir itself.
  const known = [...replacements.entries()].filter(([path]) => path.length > 1).sort((a, b) => b[0].length - a[0].length);
  for (const [path, label] of known) result = result.split(path).join(label);
  return result.replace(absolutePath, '$1');
}

// ffmpeg states the cause first and then reports every consequence and a few statistics; the
// lines worth quoting are the ones that say something went wrong.
const complaint = /error|invalid|no such|unknown|unrecognized|not (found|supported)|unsupported|cannot|could not|unable|failed|too (large|big)/i;
// `[aac @ 0x55d0c1a2b3c0]`: a heap address, different on every run, useless to a client.
const contextAddress = / @ 0x[0-9a-f]+\]/g;

/** The meaningful lines of ffmpeg's stderr (complaints if any, else the last lines), without host paths, on one line. */
export function stderrTail(stderr: string, replacements: ReadonlyMap<string, string>): string {
  const lines = stderr
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim().replace(contextAddress, ']'))
    .filter((line) => line !== '' && !progressLine.test(line));
  const complaints = lines.filter((line) => complaint.test(line));
  const chosen = (complaints.length ? complaints : lines).slice(-maxTailLines);
  const tail = withoutHostPaths(chosen.join(' | '), replacements);
  return tail.length > maxTailChars ? `…${tail.slice(-maxTailChars)}` : tail;
}
