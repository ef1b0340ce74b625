import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { throwIfCancelled } from './av.errors';
import { MediaError } from './media.errors';

const execFileAsync = promisify(execFile);

/** Subtitle formats a stored object may be in: only these demuxers ever read it. */
const subtitleDemuxers = 'srt,ass';

/**
 * Converts a stored subtitle object (SRT or ASS) into an ASS file in the work dir and answers its
 * name there. The burn-in filter (`ass`) then reads a file libass parses itself: a stored object
 * is never opened by libavformat with every demuxer allowed, so it cannot be a playlist or a
 * concat script that reaches other files.
 */
export async function subtitleAsAss(path: string, label: string, workDir: string, timeLimitMs: number, signal?: AbortSignal): Promise<string> {
  const name = `subtitle-${randomUUID()}.ass`;
  const args = ['-hide_banner', '-v', 'error', '-nostdin', '-protocol_whitelist', 'file', '-format_whitelist', subtitleDemuxers,
    '-i', path, '-map', '0:s:0', '-f', 'ass', join(workDir, name)];
  try {
    await execFileAsync('ffmpeg', args, { timeout: timeLimitMs, signal, maxBuffer: 1 << 20 });
  } catch {
    throwIfCancelled(signal);
    throw new MediaError(415, `${label} holds no subtitles (SRT or ASS)`);
  }
  return name;
}
