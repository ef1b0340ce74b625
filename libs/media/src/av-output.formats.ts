import type { AudioCodec, AvContainer, AvthumbFormat, VideoCodec } from '@fopflow/fop';

/** How ffmpeg writes a container and what the result is called. */
interface ContainerOutput {
  /** ffmpeg muxer (`-f`). */
  muxer: string;
  extension: string;
  mime: string;
  /** MIME when the file ends up with no video (`avthumb/mp4/vn/1`). */
  audioOnlyMime?: string;
  /** MP4-family: move the index to the front so players can start before the download ends. */
  faststart?: boolean;
}

const containerOutputs: Readonly<Record<AvContainer, ContainerOutput>> = {
  mp4: { muxer: 'mp4', extension: 'mp4', mime: 'video/mp4', audioOnlyMime: 'audio/mp4', faststart: true },
  mov: { muxer: 'mov', extension: 'mov', mime: 'video/quicktime', faststart: true },
  webm: { muxer: 'webm', extension: 'webm', mime: 'video/webm', audioOnlyMime: 'audio/webm' },
  mp3: { muxer: 'mp3', extension: 'mp3', mime: 'audio/mpeg' },
  aac: { muxer: 'adts', extension: 'aac', mime: 'audio/aac' },
  m4a: { muxer: 'ipod', extension: 'm4a', mime: 'audio/mp4', faststart: true },
  ogg: { muxer: 'ogg', extension: 'ogg', mime: 'audio/ogg' },
  flac: { muxer: 'flac', extension: 'flac', mime: 'audio/flac' },
  wav: { muxer: 'wav', extension: 'wav', mime: 'audio/wav' },
};

/** Muxer, file extension and MIME type of a container. */
export function containerOutput(container: AvContainer): Readonly<ContainerOutput> {
  return containerOutputs[container];
}

/** `-f <muxer>` and, for MP4-family files, faststart. */
export function muxerOptions(container: AvContainer): string[] {
  const output = containerOutputs[container];
  return ['-f', output.muxer, ...(output.faststart ? ['-movflags', '+faststart'] : [])];
}

/**
 * Encoder settings Fopflow picks where Qiniu's grammar has no word: speed presets that keep a
 * 720p encode near real time on two cores, 4:2:0 pixels every player decodes, and a quality
 * target for VP8/VP9 when no `vb` is given (their default bitrate is far too low).
 */
export function videoEncoderOptions(codec: Exclude<VideoCodec, 'copy'>, container: AvthumbFormat, bitrateGiven: boolean): string[] {
  switch (codec) {
    case 'libx264':
      return ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
    case 'libx265':
      // hvc1 is the tag Apple players require for HEVC in MP4/MOV.
      return ['-c:v', 'libx265', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error',
        ...(container === 'mp4' || container === 'mov' ? ['-tag:v', 'hvc1'] : [])];
    case 'libvpx-vp9':
      return ['-c:v', 'libvpx-vp9', '-deadline', 'good', '-cpu-used', '5', '-row-mt', '1', '-pix_fmt', 'yuv420p',
        ...(bitrateGiven ? [] : ['-b:v', '0', '-crf', '33'])];
    case 'libvpx':
      return ['-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '5', '-pix_fmt', 'yuv420p',
        ...(bitrateGiven ? [] : ['-b:v', '1M', '-crf', '10'])];
  }
}

/** `-c:a` for an audio encoder. */
export function audioEncoderOptions(codec: Exclude<AudioCodec, 'copy'>): string[] {
  return ['-c:a', codec];
}
