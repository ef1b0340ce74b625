import { promises as fs } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type AvContainer, avContainerRules } from '@fopflow/fop';
import { allowedDemuxers, type AvProbe } from './ffprobe.reader';
import type { FfmpegRun } from './ffmpeg.runner';
import { MediaError } from './media.errors';

// avconcat mode 1: the sources' streams joined as they are, by ffmpeg's concat demuxer and
// `-c copy`. No frame is decoded, so every source must carry the same codecs at the same size
// and sample layout, in a codec the output container holds; anything else is a 400 that names
// the first difference (mode 2 re-encodes and joins anything).

// The encoder that writes a codec ffprobe names: a container's rules list encoders.
const videoEncoderOf: Readonly<Record<string, string>> = { h264: 'libx264', hevc: 'libx265', vp9: 'libvpx-vp9', vp8: 'libvpx' };
const audioEncoderOf: Readonly<Record<string, string>> = {
  aac: 'aac', mp3: 'libmp3lame', opus: 'libopus', vorbis: 'libvorbis', flac: 'flac', pcm_s16le: 'pcm_s16le',
};

/** Why the sources cannot be joined without re-encoding into `format`, or undefined when they can. */
export function copyConcatProblem(probes: readonly AvProbe[], format: AvContainer, withVideo: boolean, withAudio: boolean): string | undefined {
  const [first] = probes;
  const rules = avContainerRules[format];
  if (withVideo && !(rules.videoCodecs as readonly string[]).includes(videoEncoderOf[first.video!.codec] ?? '')) {
    return `source 1's video is ${first.video!.codec}, which ${format} cannot hold without re-encoding`;
  }
  if (withAudio && !(rules.audioCodecs as readonly string[]).includes(audioEncoderOf[first.audio!.codec] ?? '')) {
    return `source 1's audio is ${first.audio!.codec}, which ${format} cannot hold without re-encoding`;
  }
  for (const [i, probe] of probes.entries()) {
    if (i === 0) continue;
    const differs = (what: string, theirs: string | number, ours: string | number) =>
      `source ${i + 1}'s ${what} is ${theirs} and source 1's ${ours}`;
    if (withVideo) {
      const [video, firstVideo] = [probe.video!, first.video!];
      if (video.codec !== firstVideo.codec) return differs('video codec', video.codec, firstVideo.codec);
      if (video.width !== firstVideo.width || video.height !== firstVideo.height) {
        return differs('frame', `${video.width}x${video.height}`, `${firstVideo.width}x${firstVideo.height}`);
      }
      if (video.rotation !== firstVideo.rotation) return differs('rotation', video.rotation, firstVideo.rotation);
    }
    if (withAudio) {
      const [audio, firstAudio] = [probe.audio!, first.audio!];
      if (audio.codec !== firstAudio.codec) return differs('audio codec', audio.codec, firstAudio.codec);
      if (audio.sampleRateHz !== firstAudio.sampleRateHz) return differs('sample rate', `${audio.sampleRateHz} Hz`, `${firstAudio.sampleRateHz} Hz`);
      if (audio.channels !== firstAudio.channels) return differs('channel count', audio.channels, firstAudio.channels);
    }
  }
  return undefined;
}

/**
 * The ffmpeg run of mode 1 before its output: a concat list in the work dir naming each source
 * through a link with a plain name (the demuxer's safe mode takes nothing else), read as one input.
 */
export async function copyConcatRun(
  paths: readonly string[],
  workDir: string,
  withVideo: boolean,
  withAudio: boolean,
): Promise<Pick<FfmpegRun, 'inputs' | 'outputOptions' | 'scratchFiles'>> {
  const id = randomUUID();
  const links = paths.map((_, i) => `concat-${id}-${i}`);
  const list = `concat-${id}.txt`;
  const scratchFiles = [...links, list].map((name) => join(workDir, name));
  await Promise.all(paths.map((path, i) => fs.symlink(path, join(workDir, links[i]))));
  await fs.writeFile(join(workDir, list), `ffconcat version 1.0\n${links.map((name) => `file ${name}\n`).join('')}`);
  return {
    // The list is read by the concat demuxer, each source by its own demuxer from the usual list.
    inputs: [{ path: join(workDir, list), label: 'concat list', options: ['-format_whitelist', `concat,${allowedDemuxers}`, '-f', 'concat', '-safe', '1'] }],
    outputOptions: [...(withVideo ? ['-map', '0:v:0'] : []), ...(withAudio ? ['-map', '0:a:0'] : []), '-c', 'copy'],
    scratchFiles,
  };
}

/** Refuses sources mode 1 cannot join, with the reason. */
export function requireCopyConcat(probes: readonly AvProbe[], format: AvContainer, withVideo: boolean, withAudio: boolean): void {
  const problem = copyConcatProblem(probes, format, withVideo, withAudio);
  if (problem) throw new MediaError(400, `avconcat/1 joins without re-encoding, which cannot work here: ${problem}; mode 2 re-encodes`);
}
