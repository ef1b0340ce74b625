import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import { stderrTail } from './ffmpeg-output.sanitizer';
import { MediaError } from './media.errors';

/**
 * Demuxers ffprobe and ffmpeg may use on our files. A whitelist, because some demuxers open
 * other files or URLs named inside the file (hls, concat, dash, image2 patterns): an uploaded
 * playlist must never make the worker read /etc/passwd or fetch an internal URL.
 */
export const allowedDemuxers = [
  'mov', 'mp4', 'm4a', '3gp', 'matroska', 'webm', 'mp3', 'aac', 'flac', 'ogg', 'wav', 'avi', 'flv',
  'mpegts', 'mpeg', 'asf', 'amr', 'ac3', 'eac3', 'caf', 'aiff', 'w64', 'wv', 'm4v', 'h264', 'hevc', 'ivf',
  'jpeg_pipe', 'png_pipe', 'webp_pipe', 'bmp_pipe', 'gif',
].join(',');

/** Input options that keep a demuxer to local files and the whitelist above. */
export const safeInputOptions: readonly string[] = ['-protocol_whitelist', 'file', '-format_whitelist', allowedDemuxers];

/** A video stream as the steps need it. */
export interface AvVideoStream {
  /** Absolute stream index in the file, for `-map 0:<index>`. */
  index: number;
  codec: string;
  /** Coded size in pixels, before rotation. */
  width: number;
  height: number;
  /** Clockwise turn ffmpeg applies to show it upright (from the display matrix). */
  rotation: 0 | 90 | 180 | 270;
  /** Size once upright: width and height swap for 90 and 270. */
  displayWidth: number;
  displayHeight: number;
  /** Frames per second, when the container says. */
  frameRate?: number;
  bitRateBps?: number;
  /** Cover art (an MP3's picture): a video stream that is not a video. */
  attachedPicture: boolean;
}

/** An audio stream as the steps need it. */
export interface AvAudioStream {
  index: number;
  codec: string;
  sampleRateHz: number;
  channels: number;
  bitRateBps?: number;
}

/** What ffprobe says about a file: the summary the steps use and the raw answer for avinfo. */
export interface AvProbe {
  formatName: string;
  /** Length in seconds; undefined when the container does not say (raw streams, single images). */
  durationS?: number;
  /** The first real video stream (not cover art), if any. */
  video?: AvVideoStream;
  /** The first audio stream, if any. */
  audio?: AvAudioStream;
  /** Every video stream, cover art included: each one is a frame ffmpeg may decode. */
  videoStreams: AvVideoStream[];
  raw: FfprobeData;
}

/** Runs ffprobe (through fluent-ffmpeg: a child process, no shell) and refuses what is not media (415). */
export async function readProbe(path: string): Promise<FfprobeData> {
  const raw = await new Promise<FfprobeData>((resolve, reject) => {
    const options = ['-v', 'error', '-hide_banner', ...safeInputOptions];
    ffmpeg.ffprobe(path, options, (error: Error | null, data: FfprobeData) => (error ? reject(error) : resolve(data)));
  }).catch((error: Error) => {
    const detail = stderrTail(error.message.split('\n').slice(1).join('\n'), new Map([[path, 'source']]));
    throw new MediaError(415, `source is not audio or video ffmpeg can read${detail ? ` (${detail})` : ''}`);
  });
  if (!raw.streams.some((stream) => stream.codec_type === 'video' || stream.codec_type === 'audio')) {
    throw new MediaError(415, 'source has no audio or video stream');
  }
  return raw;
}

/** The summary of a raw ffprobe answer. */
export function summarizeProbe(raw: FfprobeData): AvProbe {
  const videoStreams = raw.streams.filter((stream) => stream.codec_type === 'video').map(videoStream);
  const audio = raw.streams.find((stream) => stream.codec_type === 'audio');
  return {
    formatName: String(raw.format.format_name ?? ''),
    durationS: positive(raw.format.duration) ?? (Math.max(0, ...raw.streams.map((s) => positive(s.duration) ?? 0)) || undefined),
    video: videoStreams.find((stream) => !stream.attachedPicture),
    audio: audio && {
      index: audio.index,
      codec: String(audio.codec_name ?? ''),
      sampleRateHz: positive(audio.sample_rate) ?? 0,
      channels: positive(audio.channels) ?? 0,
      bitRateBps: positive(audio.bit_rate),
    },
    videoStreams,
    raw,
  };
}

function videoStream(stream: FfprobeStream): AvVideoStream {
  const width = positive(stream.width) ?? 0;
  const height = positive(stream.height) ?? 0;
  const rotation = rotationOf(stream);
  const sideways = rotation === 90 || rotation === 270;
  return {
    index: stream.index,
    codec: String(stream.codec_name ?? ''),
    width,
    height,
    rotation,
    displayWidth: sideways ? height : width,
    displayHeight: sideways ? width : height,
    frameRate: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
    bitRateBps: positive(stream.bit_rate),
    attachedPicture: Number(stream.disposition?.attached_pic) === 1,
  };
}

// fluent-ffmpeg flattens the display-matrix side data into the stream (`rotation=-90`); older
// files carry a `rotate` tag instead. Either way only the quarter turn matters for sizes.
function rotationOf(stream: FfprobeStream): AvVideoStream['rotation'] {
  const record = stream as unknown as Record<string, unknown>;
  const degrees = Number(record.rotation ?? stream.tags?.rotate ?? 0);
  if (!Number.isFinite(degrees)) return 0;
  const quarter = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return quarter as AvVideoStream['rotation'];
}

function positive(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
}

function rate(value: unknown): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(String(value ?? ''));
  if (!match || Number(match[2]) === 0) return undefined;
  return positive(Number(match[1]) / Number(match[2]));
}
