import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { type AvStep, AvProcessor } from './av.processor';
import type { AvStepContext } from './av-step.types';
import { ffprobeJson, filesIn, makeClip, makeTempDir, streamOf, withRotationTag } from './av-test-clips.fixture';
import { MediaError } from './media.errors';

// vframe, avinfo, avconcat and the probe's limits, on clips generated with ffmpeg's lavfi sources.

jest.setTimeout(60_000);

const execFileAsync = promisify(execFile);

let dir: string;
let clip: string;
let second: string;
let audioOnly: string;
const objects: Record<string, string> = {};
const av = new AvProcessor();

beforeAll(async () => {
  dir = await makeTempDir('av');
  clip = await makeClip(join(dir, 'clip.mp4'));
  second = await makeClip(join(dir, 'second.mp4'), { width: 640, height: 480, durationS: 1.5, frameRate: 30, toneHz: 880 });
  audioOnly = await makeClip(join(dir, 'tone.mp3'), { video: false, durationS: 1 });
  objects['media/second.mp4'] = second;
  objects['media/tone.mp3'] = audioOnly;
  objects['media/clip.mp4'] = clip;
});

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const stepOf = (fop: string) => parsePipeline(fop).steps[0] as AvStep;
const b64 = (text: string) => Buffer.from(text).toString('base64url');

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

async function runFop(fop: string, input = clip, processor = av) {
  const ctx = await context();
  return { ...(await processor.runStep(stepOf(fop), input, ctx)), workDir: ctx.workDir };
}

async function failure(promise: Promise<unknown>): Promise<MediaError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MediaError);
  return error as MediaError;
}

describe('vframe', () => {
  it('takes a JPEG of exactly w×h at the offset', async () => {
    const { path, mime } = await runFop('vframe/jpg/offset/1/w/480/h/360');
    expect(mime).toBe('image/jpeg');
    expect(await sharp(path).metadata()).toMatchObject({ format: 'jpeg', width: 480, height: 360 });
  });

  it('keeps the ratio when only w is given, and writes PNG', async () => {
    const { path, mime } = await runFop('vframe/png/offset/0.2/w/320');
    expect(mime).toBe('image/png');
    expect(await sharp(path).metadata()).toMatchObject({ format: 'png', width: 320, height: 180 });
  });

  it('rotates, and shows a rotation-tagged video upright', async () => {
    const { path } = await runFop('vframe/jpg/offset/0/rotate/90');
    expect(await sharp(path).metadata()).toMatchObject({ width: 720, height: 1280 });
    const tagged = await withRotationTag(clip, join(dir, 'tagged.mp4'), 90);
    const upright = await runFop('vframe/jpg/offset/0/h/320', tagged);
    expect(await sharp(upright.path).metadata()).toMatchObject({ width: 180, height: 320 });
  });

  it('refuses an offset past the end with 400, and audio with 415', async () => {
    expect(await failure(runFop('vframe/jpg/offset/2'))).toMatchObject({ status: 400, message: 'offset 2 s is at or past the end of the video (2 s)' });
    expect(await failure(runFop('vframe/jpg/offset/0', audioOnly))).toMatchObject({ status: 415 });
  });
});

describe('avinfo', () => {
  it('answers ffprobe-style JSON with the fields ffprobe writes, and no host path', async () => {
    const { path, mime } = await runFop('avinfo');
    expect(mime).toBe('application/json');
    const text = await fs.readFile(path, 'utf8');
    const info = JSON.parse(text);
    const reference = await ffprobeJson(clip);
    expect(Object.keys(info)).toEqual(['streams', 'format']);
    expect(info.format).toMatchObject({
      nb_streams: 2,
      format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: reference.format.duration,
      size: reference.format.size,
      bit_rate: reference.format.bit_rate,
      start_time: '0.000000',
    });
    expect(info.format.filename).toBeUndefined();
    expect(text).not.toContain(dir);
    const [video, audio] = info.streams;
    expect(video).toMatchObject({ index: 0, codec_type: 'video', codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '25/1' });
    expect(video).toMatchObject({ duration: streamOf(reference, 'video')!.duration, nb_frames: '50', disposition: { default: 1 } });
    expect(audio).toMatchObject({ codec_type: 'audio', codec_name: 'aac', sample_rate: '44100', channels: 2, tags: { language: 'und' } });
  });

  it('describes media longer than maxDurationS: it decodes nothing', async () => {
    const strict = new AvProcessor({ maxDurationS: 1 });
    const { path } = await runFop('avinfo', clip, strict);
    expect(JSON.parse(await fs.readFile(path, 'utf8')).format.duration).toBe('2.000000');
  });
});

describe('avconcat', () => {
  it('joins the input and two sources of other sizes: duration is the sum, size the first one', async () => {
    const fop = `avconcat/2/format/mp4/${b64('http://example.com/media/second.mp4')}/${b64('media:clip.mp4')}`;
    const { path, mime } = await runFop(fop);
    expect(mime).toBe('video/mp4');
    const probe = await ffprobeJson(path);
    expect(Number(probe.format.duration)).toBeGreaterThan(5.3);
    expect(Number(probe.format.duration)).toBeLessThan(5.8);
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'aac' });
  });

  it('joins audio into an audio container', async () => {
    const { path, mime } = await runFop(`avconcat/2/format/mp3/${b64('media:tone.mp3')}`, audioOnly);
    expect(mime).toBe('audio/mpeg');
    expect(Number((await ffprobeJson(path)).format.duration)).toBeCloseTo(2, 0);
  });

  it('refuses a source without the streams of the first (415) and a too long result (413)', async () => {
    const missing = await failure(runFop(`avconcat/2/format/mp4/${b64('media:tone.mp3')}`));
    expect(missing).toMatchObject({ status: 415, message: expect.stringContaining('source 2 has no video stream') });
    const strict = new AvProcessor({ maxDurationS: 3 });
    const long = await failure(runFop(`avconcat/2/format/mp4/${b64('media:clip.mp4')}`, clip, strict));
    expect(long).toMatchObject({ status: 413, message: 'joined length 4 s is over maxDurationS 3' });
  });
});

// avconcat mode 1: the streams joined as they are (the concat demuxer and -c copy), so only
// sources of the same codecs and size; anything else is refused with the first difference.
describe('avconcat mode 1 (no re-encoding)', () => {
  async function videoPacketSizes(path: string): Promise<string[]> {
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', path]);
    return stdout.trim().split('\n');
  }

  it('joins sources of the same codecs and size, copying the video packets as they were', async () => {
    const { path, mime, workDir } = await runFop(`avconcat/1/format/mp4/${b64('media:clip.mp4')}`);
    expect(mime).toBe('video/mp4');
    const probe = await ffprobeJson(path);
    expect(Number(probe.format.duration)).toBeCloseTo(4, 0);
    expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'aac' });
    // Each half's packets as the source's: copied, not re-encoded. Only a half's first (key)
    // packet may grow, by the parameter sets the copy repeats in front of it.
    const source = await videoPacketSizes(clip);
    const joined = await videoPacketSizes(path);
    expect(joined).toHaveLength(2 * source.length);
    expect(joined.slice(1, source.length)).toEqual(source.slice(1));
    expect(joined.slice(source.length + 1)).toEqual(source.slice(1));
    expect(await filesIn(workDir)).toEqual([path.slice(workDir.length + 1)]);
  });

  it('joins audio as it is', async () => {
    const { path, mime } = await runFop(`avconcat/1/format/mp3/${b64('media:tone.mp3')}`, audioOnly);
    expect(mime).toBe('audio/mpeg');
    expect(Number((await ffprobeJson(path)).format.duration)).toBeCloseTo(2, 0);
  });

  it('refuses with 400 sources a copy cannot join, naming the first difference', async () => {
    const sizes = await failure(runFop(`avconcat/1/format/mp4/${b64('media:second.mp4')}`));
    expect(sizes).toMatchObject({
      status: 400,
      message: "avconcat/1 joins without re-encoding, which cannot work here: source 2's frame is 640x480 and source 1's 1280x720; mode 2 re-encodes",
    });
    const container = await failure(runFop(`avconcat/1/format/webm/${b64('media:clip.mp4')}`));
    expect(container).toMatchObject({ status: 400, message: expect.stringContaining("source 1's video is h264, which webm cannot hold without re-encoding") });
  });
});

describe('probe limits and bad sources', () => {
  it('refuses media over maxDurationS with 413 before ffmpeg runs, leaving the work dir empty', async () => {
    const strict = new AvProcessor({ maxDurationS: 1 });
    const ctx = await context();
    const error = await failure(strict.runStep(stepOf('avthumb/mp4'), clip, ctx));
    expect(error).toMatchObject({ status: 413, message: 'source is 2 s long, over maxDurationS 1' });
    expect(await filesIn(ctx.workDir)).toEqual([]);
  });

  it('lets vframe read media longer than maxDurationS: it decodes one frame, not the length', async () => {
    const strict = new AvProcessor({ maxDurationS: 1 });
    const { path } = await runFop('vframe/png/offset/1.5/w/64', clip, strict);
    expect(await sharp(path).metadata()).toMatchObject({ width: 64, height: 36 });
  });

  it('refuses frames over maxInputPixels with 413', async () => {
    const strict = new AvProcessor({ maxInputPixels: 640 * 480 });
    expect(await failure(runFop('vframe/jpg/offset/0', clip, strict))).toMatchObject({
      status: 413,
      message: 'source has 1280x720 frames, over maxInputPixels 307200',
    });
  });

  it.each([
    ['text', Buffer.from('this is not a video at all\n'.repeat(20))],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
    ['an HLS playlist naming a local file', Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n/etc/passwd\n#EXT-X-ENDLIST\n')],
  ])('refuses %s with 415 and no host path in the message', async (_name, bytes) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    await fs.writeFile(file, bytes);
    for (const fop of ['avthumb/mp4', 'avinfo', 'vframe/jpg/offset/0']) {
      const error = await failure(runFop(fop, file));
      expect(error.status).toBe(415);
      expect(error.message).not.toContain(dir);
    }
  });

  it('refuses a truncated MP4 (415 at probe or 422 from ffmpeg) and removes the partial output', async () => {
    const whole = await fs.readFile(clip);
    const truncated = join(dir, 'truncated.mp4');
    await fs.writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 3)));
    const ctx = await context();
    const error = await failure(av.runStep(stepOf('avthumb/webm/s/160x90'), truncated, ctx));
    expect([415, 422]).toContain(error.status);
    expect(await filesIn(ctx.workDir)).toEqual([]);
  });

  it('checks its limits and its paths', () => {
    expect(() => new AvProcessor({ maxDurationS: 0 })).toThrow('AvLimits.maxDurationS must be a positive number, got 0');
    expect(new AvProcessor().limits).toEqual({ maxDurationS: 3600, maxInputPixels: 8192 * 8192, ffmpegTimeLimitMs: 600_000 });
    return expect(av.runStep(stepOf('avinfo'), 'relative.mp4', { workDir: dir, objectPath: async () => '' })).rejects.toThrow('absolute paths');
  });
});
