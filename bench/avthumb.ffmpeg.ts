import type { ClipStreams } from './support/source-clip';

/**
 * The ffmpeg argument list Fopflow runs for `avthumb/mp4/s/640x360/vcodec/libx264/acodec/aac`,
 * written out here because libs/media exposes no argument builder: its avthumb step builds the
 * list and runs ffmpeg in one go (AvProcessor.runStep, which also probes the source first). It
 * follows libs/media/src/avthumb.op.ts, av-output.formats.ts, av-video.filters.ts and
 * ffmpeg.runner.ts, in the order fluent-ffmpeg puts them on the command line: input options,
 * `-i`, `-y`, output options, output. The bench checks it against the arguments of the ffmpeg
 * the worker really starts (see avthumb.bench.ts), so a change on either side fails the bench
 * instead of measuring something else.
 */
export function fopflowAvthumbArgs(input: string, output: string, streams: ClipStreams, box: { width: number; height: number }): string[] {
  return [
    // ffmpeg.runner.ts: first input's options, then the safe-input whitelist of ffprobe.reader.ts.
    ...['-nostdin', '-hide_banner', '-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS],
    ...['-i', input, '-y'],
    // avthumb.op.ts videoGraph: scale to s (no autoscale: stretched) and setsar, then even sides.
    '-filter_complex',
    `[0:${streams.video}]scale=${box.width}:${box.height},setsar=1,scale=trunc(iw/2)*2:trunc(ih/2)*2[base];[base]null[vout]`,
    // av-output.formats.ts videoEncoderOptions('libx264').
    ...['-map', '[vout]', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    // avthumb.op.ts audio: the source's audio stream through audioEncoderOptions('aac').
    ...['-map', `0:${streams.audio}`, '-c:a', 'aac'],
    // av-output.formats.ts muxerOptions('mp4').
    ...['-f', 'mp4', '-movflags', '+faststart', output],
  ];
}

/** ffprobe.reader.ts `allowedDemuxers`. */
const ALLOWED_DEMUXERS = [
  'mov', 'mp4', 'm4a', '3gp', 'matroska', 'webm', 'mp3', 'aac', 'flac', 'ogg', 'wav', 'avi', 'flv',
  'mpegts', 'mpeg', 'asf', 'amr', 'ac3', 'eac3', 'caf', 'aiff', 'w64', 'wv', 'm4v', 'h264', 'hevc', 'ivf',
  'jpeg_pipe', 'png_pipe', 'webp_pipe', 'bmp_pipe', 'gif',
].join(',');

/**
 * Where a captured worker argument list differs from the replica, ignoring the two paths (the
 * worker's work dir is its own): undefined when they are the same.
 */
export function argumentDifference(replica: readonly string[], captured: readonly string[]): string | undefined {
  const normalise = (args: readonly string[]) =>
    args.map((arg, index) => (args[index - 1] === '-i' ? '<input>' : index === args.length - 1 ? '<output>' : arg));
  const a = normalise(replica);
  const b = normalise(captured);
  const first = a.findIndex((arg, index) => arg !== b[index]);
  if (first < 0 && a.length === b.length) return undefined;
  const at = first < 0 ? Math.min(a.length, b.length) : first;
  return `argument ${at}: the bench has ${JSON.stringify(a[at])}, the worker ran ${JSON.stringify(b[at])}\n  bench:  ${a.join(' ')}\n  worker: ${b.join(' ')}`;
}
