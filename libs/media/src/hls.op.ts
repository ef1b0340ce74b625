import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type AvthumbArgs, type HlsArgs, maxObjectSetMembers, objectSetMemberKey } from '@fopflow/fop';
import type { AvOpEnvironment, AvOutput, AvStepContext, ObjectSetMember } from './av-step.types';
import { planAvthumbEncode, runAvthumb } from './avthumb.op';
import { runFfmpeg } from './ffmpeg.runner';
import { MediaError } from './media.errors';
import { onFileRun } from './step-run';
import { memberUri } from './object-set.uris';

/** MIME type of an HLS playlist (RFC 8216). */
export const hlsPlaylistMime = 'application/vnd.apple.mpegurl';
/** MIME type of an MPEG-TS segment. */
const segmentMime = 'video/mp2t';
/** Longest playlist read back after ffmpeg wrote it, in bytes (10,000 segments fit easily). */
const maxPlaylistBytes = 4 * 1024 * 1024;

/** The ffmpeg options of an HLS output: segment length, numbering and, with hlsKey, AES-128. */
export function hlsMuxerOptions(hls: HlsArgs, segmentPathPattern: string, keyInfoPath: string | undefined, reencodesVideo: boolean): string[] {
  return [
    // Keyframes at every segment boundary, so each segment starts decodable and lasts segtime.
    ...(reencodesVideo ? ['-force_key_frames', `expr:gte(t,n_forced*${hls.segmentSeconds})`] : []),
    '-f', 'hls',
    '-hls_time', String(hls.segmentSeconds),
    '-hls_list_size', '0',
    '-hls_playlist_type', 'vod',
    '-start_number', '0',
    '-hls_segment_filename', segmentPathPattern,
    ...(keyInfoPath ? ['-hls_key_info_file', keyInfoPath] : []),
  ];
}

/**
 * avthumb/m3u8: avthumb's encode written as an HLS playlist and MPEG-TS segments. The playlist's
 * segment URIs name the keys the segments will be stored at (object-set.keys.ts), so the set
 * plays from storage as it is; the playlist is the primary object, the segments its members.
 */
export async function runHls(args: AvthumbArgs, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput> {
  const hls = args.hls;
  const target = context.objectSetTarget;
  if (!hls) throw new Error('avthumb/m3u8 without its HLS settings');
  if (!target) throw new MediaError(400, 'avthumb/m3u8 writes a playlist and its segments: it needs a target (an async job with saveas)');
  const plan = await planAvthumbEncode(args, inputPath, context, env);
  const dir = join(context.workDir, `hls-${randomUUID()}`);
  await fs.mkdir(dir);
  try {
    const keyInfo = hls.keyHex ? await writeKeyInfo(dir, hls) : undefined;
    const playlistPath = join(dir, 'index.m3u8');
    const reencodesVideo = plan.withVideo && args.videoCodec !== 'copy';
    await runFfmpeg(
      {
        ...plan.run,
        outputOptions: [...plan.run.outputOptions, ...hlsMuxerOptions(hls, join(dir, 'seg-%06d.ts'), keyInfo, reencodesVideo)],
        outputPath: playlistPath,
        cwd: context.workDir,
      },
      { timeLimitMs: env.limits.ffmpegTimeLimitMs, signal: context.signal, onProgress: context.onProgress },
    );
    return await storedPlaylist(playlistPath, dir, target, hls);
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** ffmpeg's key info file: the key's URI for the playlist, then the file holding the key. */
async function writeKeyInfo(dir: string, hls: HlsArgs): Promise<string> {
  const keyPath = join(dir, 'aes.key');
  await fs.writeFile(keyPath, Buffer.from(hls.keyHex!, 'hex'), { mode: 0o600 });
  const infoPath = join(dir, 'aes.keyinfo');
  await fs.writeFile(infoPath, `${hls.keyUrl}\n${keyPath}\n`, { mode: 0o600 });
  return infoPath;
}

/** Rewrites ffmpeg's playlist so each segment line names its stored key; lists the segments. */
async function storedPlaylist(playlistPath: string, dir: string, target: { bucket: string; key: string }, hls: HlsArgs): Promise<AvOutput> {
  const { size } = await fs.stat(playlistPath);
  if (size > maxPlaylistBytes) throw new MediaError(413, `the playlist is over ${maxPlaylistBytes} bytes; use a longer segtime`);
  const members: ObjectSetMember[] = [];
  const lines = (await fs.readFile(playlistPath, 'utf8')).split('\n').map((line) => {
    const segment = /^seg-(\d{6})\.ts$/.exec(line.trim());
    if (!segment) {
      if (line.trim() && !line.startsWith('#')) throw new Error(`unexpected line in ffmpeg's playlist: ${line.slice(0, 100)}`);
      return line;
    }
    const key = objectSetMemberKey(target.key, Number(segment[1]), 'ts', hls.segmentPattern);
    members.push({ key, path: join(dir, segment[0]), mime: segmentMime });
    return memberUri(target, key, hls.noDomain === true);
  });
  if (members.length === 0) throw new MediaError(422, 'ffmpeg wrote no segments');
  if (members.length > maxObjectSetMembers) throw new MediaError(413, `${members.length} segments, over ${maxObjectSetMembers}; use a longer segtime`);
  if (new Set(members.map((member) => member.key)).size !== members.length) throw new MediaError(400, 'two segments would share one key');
  const path = join(dir, 'stored.m3u8');
  await fs.writeFile(path, lines.join('\n'));
  return { path, mime: hlsPlaylistMime, members };
}

/** avthumb's run: an HLS package for `m3u8`, one file for every other format. */
export const avthumbRun = onFileRun('avthumb', (args, inputPath, context, env) =>
  args.format === 'm3u8' ? runHls(args, inputPath, context, env) : runAvthumb(args, inputPath, context, env),
);
