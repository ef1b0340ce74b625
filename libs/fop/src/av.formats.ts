import type { Colour } from './colour.params';
import type { Gravity } from './gravity.params';

// Containers and codecs the audio/video commands accept. Pure data, shared by the grammar (which
// validates and folds defaults away) and libs/media (which turns it into ffmpeg arguments), so the
// two can never disagree about what `avthumb/mp4` means.

/** Output containers of avthumb and avconcat: one file each. HLS (`m3u8`) is avthumb's only: see avthumbFormats. */
export const avContainers = ['mp4', 'webm', 'mov', 'mp3', 'aac', 'm4a', 'ogg', 'flac', 'wav'] as const;
export type AvContainer = (typeof avContainers)[number];

export const videoCodecs = ['libx264', 'libx265', 'libvpx-vp9', 'libvpx', 'copy'] as const;
/** ffmpeg encoder names for video, plus `copy` (keep the source's stream as it is). */
export type VideoCodec = (typeof videoCodecs)[number];

export const audioCodecs = ['aac', 'libmp3lame', 'libopus', 'libvorbis', 'flac', 'pcm_s16le', 'copy'] as const;
/** ffmpeg encoder names for audio, plus `copy`. */
export type AudioCodec = (typeof audioCodecs)[number];

/** What a container may hold and what it gets when the fop names no codec. */
export interface AvContainerRules {
  /** Video encoders allowed in it; empty for audio-only containers. */
  videoCodecs: readonly VideoCodec[];
  audioCodecs: readonly AudioCodec[];
  /** Used when `vcodec` is absent; absent for audio-only containers. */
  defaultVideoCodec?: Exclude<VideoCodec, 'copy'>;
  defaultAudioCodec: Exclude<AudioCodec, 'copy'>;
}

// libx265 is listed because the Debian ffmpeg this project targets is built with it (README:
// `apt-get install ffmpeg`); on a build without it libs/media answers 400 naming the missing encoder.
export const avContainerRules: Readonly<Record<AvContainer, AvContainerRules>> = {
  mp4: {
    videoCodecs: ['libx264', 'libx265', 'copy'],
    audioCodecs: ['aac', 'libmp3lame', 'copy'],
    defaultVideoCodec: 'libx264',
    defaultAudioCodec: 'aac',
  },
  mov: {
    videoCodecs: ['libx264', 'libx265', 'copy'],
    audioCodecs: ['aac', 'libmp3lame', 'pcm_s16le', 'copy'],
    defaultVideoCodec: 'libx264',
    defaultAudioCodec: 'aac',
  },
  webm: {
    videoCodecs: ['libvpx-vp9', 'libvpx', 'copy'],
    audioCodecs: ['libopus', 'libvorbis', 'copy'],
    defaultVideoCodec: 'libvpx-vp9',
    defaultAudioCodec: 'libopus',
  },
  mp3: { videoCodecs: [], audioCodecs: ['libmp3lame', 'copy'], defaultAudioCodec: 'libmp3lame' },
  aac: { videoCodecs: [], audioCodecs: ['aac', 'copy'], defaultAudioCodec: 'aac' },
  m4a: { videoCodecs: [], audioCodecs: ['aac', 'copy'], defaultAudioCodec: 'aac' },
  ogg: { videoCodecs: [], audioCodecs: ['libvorbis', 'libopus', 'flac', 'copy'], defaultAudioCodec: 'libvorbis' },
  flac: { videoCodecs: [], audioCodecs: ['flac', 'copy'], defaultAudioCodec: 'flac' },
  wav: { videoCodecs: [], audioCodecs: ['pcm_s16le', 'copy'], defaultAudioCodec: 'pcm_s16le' },
};

/** avthumb's formats: every container, and `m3u8` (HLS: a playlist and its segments, async only). */
export const avthumbFormats = [...avContainers, 'm3u8'] as const;
export type AvthumbFormat = (typeof avthumbFormats)[number];

/** HLS segments are MPEG-TS: H.264 video and AAC or MP3 audio, what every HLS player decodes. */
const hlsRules: AvContainerRules = {
  videoCodecs: ['libx264', 'copy'],
  audioCodecs: ['aac', 'libmp3lame', 'copy'],
  defaultVideoCodec: 'libx264',
  defaultAudioCodec: 'aac',
};

/** What an avthumb format may hold: a container's rules, or HLS's. */
export function avthumbFormatRules(format: AvthumbFormat): AvContainerRules {
  return format === 'm3u8' ? hlsRules : avContainerRules[format];
}

/** True for containers that carry no video (mp3, aac, m4a, ogg, flac, wav). */
export function isAudioOnly(container: AvthumbFormat): boolean {
  return avthumbFormatRules(container).videoCodecs.length === 0;
}

/** Sample rates `ar` accepts, in Hz. */
export const sampleRatesHz = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000] as const;

/** Sample rates an encoder can write; absent means all of sampleRatesHz. */
export const encoderSampleRatesHz: Readonly<Partial<Record<AudioCodec, readonly number[]>>> = {
  libopus: [8000, 12000, 16000, 24000, 48000],
  libmp3lame: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000],
};

/** Where a watermark goes when wmGravity / wmGravityText is absent (Qiniu's avthumb default). */
export const avWatermarkDefaultGravity: Gravity = 'NorthEast';
/** Text watermark colour when wmFontColor is absent (Qiniu: black). */
export const avWatermarkDefaultFontColor: Readonly<Colour> = Object.freeze({ r: 0, g: 0, b: 0, a: 255 });
/** Text watermark size in px when wmFontSize is absent (Qiniu: 16). */
export const avWatermarkDefaultFontSizePx = 16;
