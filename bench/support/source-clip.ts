import { runTracked } from './cleanup';

/** A generated test clip: moving colour pattern and a tone, as a phone video would carry both. */
export interface ClipSpec {
  width: number;
  height: number;
  framesPerSecond: number;
  durationS: number;
}

/** Stream indexes of a clip, as `-map 0:<index>` names them. */
export interface ClipStreams {
  video: number;
  audio: number;
}

/** Bitrate of the clip's AAC track, in bits per second. */
export const CLIP_AUDIO_BPS = 128_000;

/**
 * Writes an H.264 + AAC MP4 made by ffmpeg's lavfi sources: testsrc2 moves every frame (so the
 * encoder cannot skip work) and sine is a 440 Hz tone. x264 `veryfast` keeps making it quick.
 */
export async function makeTestClip(spec: ClipSpec, path: string): Promise<void> {
  const { width, height, framesPerSecond, durationS } = spec;
  await runTracked('ffmpeg (test clip)', 'ffmpeg', [
    ...['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${framesPerSecond}`],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', String(durationS), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', String(CLIP_AUDIO_BPS), '-movflags', '+faststart', path],
  ]);
}

/** The indexes of the first video and audio streams of `path`, from ffprobe. */
export async function probeStreams(path: string): Promise<ClipStreams> {
  const json = await runTracked('ffprobe', 'ffprobe', ['-v', 'error', '-show_entries', 'stream=index,codec_type', '-of', 'json', path]);
  const { streams } = JSON.parse(json) as { streams: { index: number; codec_type: string }[] };
  const index = (type: string) => {
    const stream = streams.find((s) => s.codec_type === type);
    if (!stream) throw new Error(`${path} has no ${type} stream`);
    return stream.index;
  };
  return { video: index('video'), audio: index('audio') };
}
