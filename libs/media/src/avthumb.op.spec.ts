import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { type AvStep, AvProcessor } from './av.processor';
import type { AvStepContext } from './av-step.types';
import { ffprobeJson, filesIn, makeClip, makeImage, makeTempDir, streamOf, withRotationTag } from './av-test-clips.fixture';
import { MediaError } from './media.errors';

// Conformance of avthumb against real ffmpeg: each case runs a fop on a generated clip and checks
// the result with an independent ffprobe against what the parameters promise.

jest.setTimeout(60_000);

const execFileAsync = promisify(execFile);

let dir: string;
let clip: string;
let rotatedClip: string;
let objects: Record<string, string>;
const av = new AvProcessor();

beforeAll(async () => {
  dir = await makeTempDir('avthumb');
  clip = await makeClip(join(dir, 'clip.mp4'));
  const small = await makeClip(join(dir, 'small.mp4'), { width: 320, height: 180, durationS: 1 });
  rotatedClip = await withRotationTag(small, join(dir, 'rotated.mp4'), 90);
  objects = { 'media/mark.png': await makeImage(join(dir, 'mark.png'), 64, 32) };
});

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

function stepOf(fop: string): AvStep {
  return parsePipeline(fop).steps[0] as AvStep;
}

async function context(): Promise<AvStepContext> {
  return {
    workDir: await fs.mkdtemp(join(dir, 'work-')),
    objectPath: async (bucket, key) => {
      const path = objects[`${bucket}/${key}`];
      if (!path) throw Object.assign(new Error(`no such object ${bucket}/${key}`), { status: 404 });
      return path;
    },
  };
}

async function transcode(fop: string, input = clip) {
  const ctx = await context();
  const result = await av.runStep(stepOf(fop), input, ctx);
  return { ...result, probe: await ffprobeJson(result.path), workDir: ctx.workDir };
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('avthumb on real ffmpeg', () => {
  it('mp4 with s/640x360 is H.264 at 640x360 with AAC audio', async () => {
    const { mime, probe, path } = await transcode('avthumb/mp4/s/640x360');
    expect(mime).toBe('video/mp4');
    expect(path.endsWith('.mp4')).toBe(true);
    expect(probe.format.format_name).toContain('mp4');
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(Number(probe.format.duration)).toBeCloseTo(2, 0);
  });

  it('autoscale/1 fits inside the box keeping the ratio', async () => {
    const { probe } = await transcode('avthumb/mp4/s/400x400/autoscale/1');
    expect(streamOf(probe, 'video')).toMatchObject({ width: 400, height: 224 });
  });

  it('without autoscale the frame is stretched to exactly s and shown at that size', async () => {
    const { probe } = await transcode('avthumb/mp4/s/300x300');
    expect(streamOf(probe, 'video')).toMatchObject({ width: 300, height: 300, sample_aspect_ratio: '1:1' });
  });

  it('mp3 with ab/64k and ar/22050 is MP3 at 22050 Hz with no video', async () => {
    const { mime, probe } = await transcode('avthumb/mp3/ab/64k/ar/22050');
    expect(mime).toBe('audio/mpeg');
    expect(probe.streams).toHaveLength(1);
    expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'mp3', sample_rate: '22050' });
    expect(Number(streamOf(probe, 'audio')!.bit_rate)).toBeLessThanOrEqual(64_000);
  });

  it('an/1 drops the audio stream', async () => {
    const { probe } = await transcode('avthumb/mp4/an/1/s/320x180');
    expect(streamOf(probe, 'audio')).toBeUndefined();
    expect(streamOf(probe, 'video')).toBeDefined();
  });

  it('vn/1 drops the video stream and names the result audio', async () => {
    const { mime, probe } = await transcode('avthumb/mp4/vn/1');
    expect(mime).toBe('audio/mp4');
    expect(streamOf(probe, 'video')).toBeUndefined();
  });

  it('ss and t cut the duration', async () => {
    const { probe } = await transcode('avthumb/mp4/ss/0.5/t/1/s/320x180');
    expect(Number(probe.format.duration)).toBeGreaterThan(0.9);
    expect(Number(probe.format.duration)).toBeLessThan(1.15);
  });

  it('rotate/90 swaps width and height', async () => {
    const { probe } = await transcode('avthumb/mp4/rotate/90/s/640x360/autoscale/1');
    expect(streamOf(probe, 'video')).toMatchObject({ width: 202, height: 360 });
    const turned = await transcode('avthumb/mp4/rotate/270', rotatedClip);
    // The source is 320x180 shown upright as 180x320; a further quarter turn makes it 320x180.
    expect(streamOf(turned.probe, 'video')).toMatchObject({ width: 320, height: 180 });
  });

  it('turns a source with a rotation tag upright by default', async () => {
    const { probe } = await transcode('avthumb/mp4', rotatedClip);
    expect(streamOf(probe, 'video')).toMatchObject({ width: 180, height: 320 });
  });

  it('webm is VP9 and Opus; ac/1 makes mono', async () => {
    const { mime, probe } = await transcode('avthumb/webm/s/320x180/ac/1');
    expect(mime).toBe('video/webm');
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'vp9', width: 320, height: 180 });
    expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'opus', channels: 1 });
  });

  it('vcodec/libx265 in mov, r/10 and vb cap', async () => {
    const { mime, probe } = await transcode('avthumb/mov/vcodec/libx265/s/320x180/r/10/vb/200k');
    expect(mime).toBe('video/quicktime');
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'hevc', codec_tag_string: 'hvc1', r_frame_rate: '10/1' });
  });

  it.each([
    ['aac', 'aac', 'audio/aac'],
    ['m4a', 'aac', 'audio/mp4'],
    ['ogg', 'vorbis', 'audio/ogg'],
    ['flac', 'flac', 'audio/flac'],
    ['wav', 'pcm_s16le', 'audio/wav'],
  ])('%s is %s audio', async (format, codec, mime) => {
    const result = await transcode(`avthumb/${format}/t/0.5`);
    expect(result.mime).toBe(mime);
    expect(result.probe.streams.map((stream) => stream.codec_name)).toEqual([codec]);
  });

  it('vcodec/copy keeps the H.264 stream untouched; aspect sets the display ratio', async () => {
    const { probe } = await transcode('avthumb/mp4/vcodec/copy/acodec/copy/aspect/4:3');
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, display_aspect_ratio: '4:3' });
  });

  it('stripmeta/1 drops the source tags', async () => {
    const tagged = join(dir, 'tagged.mp4');
    await makeClip(tagged, { width: 160, height: 90, durationS: 0.5, extra: ['-metadata', 'title=secret'] });
    expect((await ffprobeJson(tagged)).format.tags.title).toBe('secret');
    const { probe } = await transcode('avthumb/mp4/stripmeta/1', tagged);
    expect(probe.format.tags?.title).toBeUndefined();
  });

  it('draws an image and a text watermark, and leaves no scratch file behind', async () => {
    const fop = `avthumb/mp4/s/320x180/wmImage/${b64('http://any.host/media/mark.png')}/wmGravity/SouthWest/wmText/${b64('Fopflow 100%')}/wmFontSize/24`;
    const { probe, workDir, path } = await transcode(fop);
    expect(streamOf(probe, 'video')).toMatchObject({ width: 320, height: 180 });
    expect(await filesIn(workDir)).toEqual([path.slice(workDir.length + 1)]);
    // The 64x32 red mark sits 10 px from the left and bottom edges: sample its centre.
    const frame = await av.runStep(stepOf('vframe/png/offset/0.5'), path, await context());
    const { data } = await sharp(frame.path).extract({ left: 10 + 32, top: 180 - 10 - 16, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[1]).toBeLessThan(60);
    expect(data[2]).toBeLessThan(60);
  });

  it('reports a missing watermark object with the storage error', async () => {
    await expect(transcode(`avthumb/mp4/wmImage/${b64('media:nothing.png')}`)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses ss past the end of the source with 400', async () => {
    const error = await transcode('avthumb/mp4/ss/5').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ status: 400, message: 'ss 5 s is at or past the end of the source (2 s)' });
  });

  it('refuses an audio format for a source without audio, and video settings for one without video', async () => {
    const silent = await makeClip(join(dir, 'silent.mp4'), { width: 160, height: 90, durationS: 0.5, toneHz: 0 });
    await expect(transcode('avthumb/mp3', silent)).rejects.toMatchObject({ status: 415 });
    const audio = await makeClip(join(dir, 'tone.m4a'), { video: false, durationS: 0.5 });
    await expect(transcode('avthumb/mp4/s/320x180', audio)).rejects.toMatchObject({ status: 415, message: expect.stringContaining("parameter 's'") });
    const { mime } = await transcode('avthumb/mp4', audio);
    expect(mime).toBe('audio/mp4');
  });
});

// Qiniu's avthumb page (dora/manual/1248): crf, h264Profile, h264Level, maxrate, gop, padW/padH/
// padVideoX/padVideoY, deinterlace, s/<W>x<H>> and <, subtitle; its video watermark page
// (dora/manual/1314): wmScale, wmOffsetX, wmOffsetY. Each family once through real ffmpeg.
describe('avthumb encoder, picture and mark placement parameters on real ffmpeg (Qiniu dora/manual/1248, 1314)', () => {
  let small: string;
  beforeAll(async () => {
    small = await makeClip(join(dir, 'small-320.mp4'), { width: 320, height: 180, durationS: 2 });
  });

  /** Mean absolute difference of two frames' pixels, 0 to 255, over the rows [top, top + height). */
  async function frameDifference(a: string, b: string, top: number, height: number): Promise<number> {
    const [x, y] = await Promise.all(
      [a, b].map(async (video) => {
        const frame = await av.runStep(stepOf('vframe/png/offset/1'), video, await context());
        const { data, info } = await sharp(frame.path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        return data.subarray(top * info.width * 3, (top + height) * info.width * 3);
      }),
    );
    let total = 0;
    for (let i = 0; i < x.length; i++) total += Math.abs(x[i] - y[i]);
    return total / x.length;
  }

  async function keyFrames(path: string): Promise<number> {
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path]);
    return stdout.trim().split('\n').filter(Boolean).length;
  }

  it('padW/padH give the padded size, the picture centred between black bars', async () => {
    const { probe, path } = await transcode('avthumb/mp4/padW/320/padH/240', small);
    expect(streamOf(probe, 'video')).toMatchObject({ width: 320, height: 240 });
    const frame = await av.runStep(stepOf('vframe/png/offset/0.5'), path, await context());
    const bar = await sharp(frame.path).extract({ left: 160, top: 10, width: 1, height: 1 }).raw().toBuffer();
    expect(Math.max(...bar)).toBeLessThan(30);
    // A picture larger than the box is fitted inside it first: 1280x720 into 400x400 is 400x224 plus bars.
    const fitted = await transcode('avthumb/mp4/s/640x360/padW/400/padH/400');
    expect(streamOf(fitted.probe, 'video')).toMatchObject({ width: 400, height: 400 });
  });

  it('crf and maxrate change the bitrate', async () => {
    const rate = async (fop: string) => Number(streamOf((await transcode(fop, small)).probe, 'video')!.bit_rate);
    const fine = await rate('avthumb/mp4/crf/10');
    const coarse = await rate('avthumb/mp4/crf/40');
    expect(coarse).toBeLessThan(fine / 3);
    const capped = await rate('avthumb/mp4/crf/10/maxrate/100k');
    expect(capped).toBeLessThan(fine / 2);
    expect(capped).toBeLessThan(150_000);
  });

  it('h264Profile and h264Level show in ffprobe', async () => {
    const { probe } = await transcode('avthumb/mp4/h264Profile/baseline/h264Level/3.1', small);
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', profile: 'Constrained Baseline', level: 31 });
    const main = await transcode('avthumb/mp4/h264Profile/main/h264Level/4', small);
    expect(streamOf(main.probe, 'video')).toMatchObject({ profile: 'Main', level: 40 });
  });

  it('gop sets the distance between key frames', async () => {
    const { path } = await transcode('avthumb/mp4/gop/10', small);
    expect(await keyFrames(path)).toBeGreaterThanOrEqual(5);
    const plain = await transcode('avthumb/mp4', small);
    expect(await keyFrames(plain.path)).toBeLessThan(3);
  });

  it('s with > leaves a smaller source unchanged and shrinks a larger one; s with < enlarges only a smaller one', async () => {
    const size = async (fop: string) => streamOf((await transcode(fop, small)).probe, 'video');
    expect(await size('avthumb/mp4/s/640x360>')).toMatchObject({ width: 320, height: 180 });
    expect(await size('avthumb/mp4/s/160x160>/autoscale/1')).toMatchObject({ width: 160, height: 90 });
    expect(await size('avthumb/mp4/s/640x360<')).toMatchObject({ width: 640, height: 360 });
    expect(await size('avthumb/mp4/s/160x90<')).toMatchObject({ width: 320, height: 180 });
  });

  it('deinterlace/1 changes frames flagged interlaced and leaves progressive ones as they are', async () => {
    const interlaced = await makeClip(join(dir, 'interlaced.mp4'), { width: 320, height: 180, durationS: 2, extra: ['-flags', '+ildct+ilme', '-top', '1'] });
    const woven = await transcode('avthumb/mp4/crf/0', interlaced);
    const deinterlaced = await transcode('avthumb/mp4/crf/0/deinterlace/1', interlaced);
    expect(await frameDifference(woven.path, deinterlaced.path, 0, 180)).toBeGreaterThan(1);
    const progressive = await transcode('avthumb/mp4/crf/0', small);
    const untouched = await transcode('avthumb/mp4/crf/0/deinterlace/1', small);
    expect(await frameDifference(progressive.path, untouched.path, 0, 180)).toBe(0);
  });

  it('wmScale sizes the mark by the frame width and wmOffsetX/wmOffsetY move it from the edges', async () => {
    const mark = b64('http://any.host/media/mark.png');
    // 0.5 of 320 px: the 64x32 mark becomes 160x80, so (10 + 120, 10 + 60) is inside it.
    const scaled = await transcode(`avthumb/mp4/wmImage/${mark}/wmGravity/NorthWest/wmScale/0.5`, small);
    const offset = await transcode(`avthumb/mp4/wmImage/${mark}/wmGravity/SouthWest/wmOffsetX/50/wmOffsetY/40`, small);
    const pixel = async (path: string, left: number, top: number) => {
      const frame = await av.runStep(stepOf('vframe/png/offset/0.5'), path, await context());
      return [...(await sharp(frame.path).extract({ left, top, width: 1, height: 1 }).removeAlpha().raw().toBuffer())];
    };
    const isRed = ([r, g, b]: number[]) => r > 200 && g < 60 && b < 60;
    expect(isRed(await pixel(scaled.path, 130, 70))).toBe(true);
    expect(isRed(await pixel(offset.path, 50 + 32, 180 - 40 - 16))).toBe(true);
    // Not where the default 10 px margin would have put it: there the picture is as without a mark.
    const plain = await transcode('avthumb/mp4', small);
    const [marked, unmarked] = [await pixel(offset.path, 30, 150), await pixel(plain.path, 30, 150)];
    marked.forEach((channel, i) => expect(Math.abs(channel - unmarked[i])).toBeLessThan(40));
  });

  it('subtitle burns a stored SRT into the picture, at the bottom', async () => {
    const srt = join(dir, 'film.srt');
    await fs.writeFile(srt, '1\n00:00:00,000 --> 00:00:02,000\nFOPFLOW SUBTITLE\n');
    objects['media/film.srt'] = srt;
    const plain = await transcode('avthumb/mp4/crf/0', small);
    const subtitled = await transcode(`avthumb/mp4/crf/0/subtitle/${b64('media:film.srt')}`, small);
    expect(await frameDifference(plain.path, subtitled.path, 135, 45)).toBeGreaterThan(2);
    expect(await frameDifference(plain.path, subtitled.path, 0, 90)).toBeLessThan(1);
    expect(await filesIn(subtitled.workDir)).toEqual([subtitled.path.slice(subtitled.workDir.length + 1)]);
  });

  it('refuses a subtitle object that holds no subtitles, and reports a missing one with the storage error', async () => {
    await expect(transcode(`avthumb/mp4/subtitle/${b64('media:mark.png')}`, small)).rejects.toMatchObject({
      status: 415,
      message: 'subtitle media/mark.png holds no subtitles (SRT or ASS)',
    });
    await expect(transcode(`avthumb/mp4/subtitle/${b64('media:none.srt')}`, small)).rejects.toMatchObject({ status: 404 });
  });
});
