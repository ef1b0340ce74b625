import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RenditionProgress, parsePipeline } from '@fopflow/fop';
import { type AvStep, AvProcessor } from './av.processor';
import type { AvStepContext } from './av-step.types';
import { ffprobeJson, makeClip, makeTempDir, streamOf } from './av-test-clips.fixture';
import { memberUri } from './object-set.uris';
import type { VsampleIndex } from './vsample.op';

// The steps that write sets of objects, on real ffmpeg: HLS (avthumb/m3u8) and vsample. Each
// case checks the files with an independent ffprobe, and the members' keys against the rule.

jest.setTimeout(60_000);
const run = promisify(execFile);

let dir: string;
let clip: string;
const av = new AvProcessor();
const b64 = (text: string) => Buffer.from(text).toString('base64url');

beforeAll(async () => {
  dir = await makeTempDir('object-sets');
  clip = await makeClip(join(dir, 'clip.mp4'), { width: 160, height: 120, durationS: 4 });
});

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function runSet(fop: string, key: string, input = clip, onProgress?: AvStepContext['onProgress']) {
  const context: AvStepContext = {
    ...(onProgress && { onProgress }),
    workDir: await fs.mkdtemp(join(dir, 'work-')),
    objectPath: async () => {
      throw new Error('no objects here');
    },
    objectSetTarget: { bucket: 'media', key },
  };
  const step = parsePipeline(fop).steps[0] as AvStep;
  return { ...(await av.runStep(step, input, context)), workDir: context.workDir };
}

describe('memberUri', () => {
  it('is path-absolute by default and relative to the playlist with noDomain', () => {
    expect(memberUri({ bucket: 'media', key: 'v/a.m3u8' }, 'v/a 1.ts', false)).toBe('/media/v/a%201.ts');
    expect(memberUri({ bucket: 'media', key: 'v/a.m3u8' }, 'v/a-000000.ts', true)).toBe('a-000000.ts');
    expect(memberUri({ bucket: 'media', key: 'v/a.m3u8' }, 'segs/x.ts', true)).toBe('../segs/x.ts');
    expect(memberUri({ bucket: 'media', key: 'a.m3u8' }, 'segs/x.ts', true)).toBe('segs/x.ts');
  });
});

describe('avthumb/m3u8 on real ffmpeg', () => {
  it('writes a playlist naming every segment by its key, each segment readable H.264/AAC of about segtime', async () => {
    const out = await runSet('avthumb/m3u8/segtime/2/s/96x64/ab/32k', 'hls/a.m3u8');
    expect(out.mime).toBe('application/vnd.apple.mpegurl');
    const playlist = await fs.readFile(out.path, 'utf8');
    expect(playlist).toMatch(/^#EXTM3U/);
    expect(playlist).toContain('#EXT-X-ENDLIST');
    expect(out.members!.map((member) => member.key)).toEqual(['hls/a-000000.ts', 'hls/a-000001.ts']);
    const uris = playlist.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(uris).toEqual(['/media/hls/a-000000.ts', '/media/hls/a-000001.ts']);
    for (const member of out.members!) {
      expect(member.mime).toBe('video/mp2t');
      const probe = await ffprobeJson(member.path);
      expect(probe.format.format_name).toBe('mpegts');
      expect(streamOf(probe, 'video')).toMatchObject({ codec_name: 'h264', width: 96, height: 64 });
      expect(streamOf(probe, 'audio')).toMatchObject({ codec_name: 'aac' });
    }
  });

  it('with hlsKey encrypts each segment with AES-128, which the key decrypts', async () => {
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const fop = `avthumb/m3u8/segtime/2/s/96x64/hlsKey/${key.toString('base64url')}/hlsKeyUrl/${b64('https://keys.example.com/k')}/noDomain/1/pattern/${b64('enc/s$(count).ts')}`;
    const out = await runSet(fop, 'enc/index.m3u8');
    const playlist = await fs.readFile(out.path, 'utf8');
    expect(playlist).toContain('#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"');
    expect(playlist.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual(['s000000.ts', 's000001.ts']);
    const first = out.members![0];
    // Encrypted bytes are no MPEG-TS (sync byte 0x47 every 188 bytes)...
    const raw = await fs.readFile(first.path);
    expect(raw[0] === 0x47 && raw[188] === 0x47).toBe(false);
    // ...and decrypt with the key and the segment's sequence number as IV (RFC 8216 5.2).
    const plain = join(out.workDir, 'plain.ts');
    await run('openssl', ['aes-128-cbc', '-d', '-K', key.toString('hex'), '-iv', '0'.repeat(32), '-in', first.path, '-out', plain]);
    expect(streamOf(await ffprobeJson(plain), 'video')).toMatchObject({ codec_name: 'h264', width: 96, height: 64 });
  });
});

describe('adapt on real ffmpeg', () => {
  it('writes a master playlist naming each rendition with BANDWIDTH and RESOLUTION, each rendition readable', async () => {
    const out = await runSet('adapt/m3u8/envBandWidth/100000,300000/multiVb/80k,250k/multiResolution/64:48,128:96/hlstime/2', 'abr/m.m3u8');
    const master = await fs.readFile(out.path, 'utf8');
    expect(master.trim().split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=64x48',
      'm-000000.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=128x96',
      'm-000001.m3u8',
    ]);
    expect(out.members!.map((member) => member.key)).toEqual([
      'abr/m-000000.m3u8', 'abr/m-000000-000000.ts', 'abr/m-000000-000001.ts',
      'abr/m-000001.m3u8', 'abr/m-000001-000000.ts', 'abr/m-000001-000001.ts',
    ]);
    const rendition = await fs.readFile(out.members![0].path, 'utf8');
    expect(rendition.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual(['m-000000-000000.ts', 'm-000000-000001.ts']);
    expect(streamOf(await ffprobeJson(out.members![4].path), 'video')).toMatchObject({ codec_name: 'h264', width: 128, height: 96 });
  });
});

describe('adapt progress per rendition', () => {
  it('reports every rendition with its own progress while it runs, in turn, and each at 100 at the end', async () => {
    const reports: Array<{ percent: number; renditions: RenditionProgress[] }> = [];
    await runSet('adapt/m3u8/envBandWidth/100000,300000/multiVb/80k,250k/multiResolution/64:48,128:96/hlstime/2', 'abr/p.m3u8', clip, (percent, detail) => {
      reports.push({ percent, renditions: detail!.renditions });
    });
    const described = (progress: [number, number]) => [
      { key: 'abr/p-000000.m3u8', bandwidth: 100000, resolution: '64x48', progress: progress[0] },
      { key: 'abr/p-000001.m3u8', bandwidth: 300000, resolution: '128x96', progress: progress[1] },
    ];
    // ffmpeg's own reports in between depend on its speed; these three do not.
    expect(reports).toContainEqual({ percent: 50, renditions: described([100, 0]) });
    expect(reports.at(-1)).toEqual({ percent: 100, renditions: described([100, 100]) });
    // In turn: the second starts only once the first is done; nothing goes back; the step's
    // percentage is the renditions' mean, 100 only once the master playlist is written.
    for (const [index, { percent, renditions }] of reports.entries()) {
      if (renditions[1].progress > 0) expect(renditions[0].progress).toBe(100);
      const before = reports[index - 1];
      if (before) {
        expect(percent).toBeGreaterThanOrEqual(before.percent);
        renditions.forEach((rendition, i) => expect(rendition.progress).toBeGreaterThanOrEqual(before.renditions[i].progress));
      }
      if (index < reports.length - 1) expect(percent).toBe(Math.min(99, Math.floor((renditions[0].progress + renditions[1].progress) / 2)));
    }
    expect(reports.filter(({ percent }) => percent === 100)).toHaveLength(1);
  });
});

describe('vsample on real ffmpeg', () => {
  it('takes a snapshot every interval from ss for t, sized, under the documented keys', async () => {
    const out = await runSet('vsample/jpg/ss/1/t/2/interval/0.5/s/80x60', 'shots/index.json');
    expect(out.mime).toBe('application/json');
    const index = JSON.parse(await fs.readFile(out.path, 'utf8')) as VsampleIndex;
    expect(index).toEqual({
      format: 'jpg',
      keys: ['shots/index-000000.jpg', 'shots/index-000001.jpg', 'shots/index-000002.jpg', 'shots/index-000003.jpg'],
      snapshots: 4,
      intervalMs: 500,
    });
    for (const member of out.members!) {
      expect(member.mime).toBe('image/jpeg');
      expect(streamOf(await ffprobeJson(member.path), 'video')).toMatchObject({ width: 80, height: 60 });
    }
  });

  it('turns with rotate, names with pattern and spreads frames evenly', async () => {
    const out = await runSet(`vsample/png/frames/3/rotate/90/s/x80/pattern/${b64('p/$(count).png')}`, 'p.json');
    expect(out.members!.map((member) => member.key)).toEqual(['p/000000.png', 'p/000001.png', 'p/000002.png']);
    // 160x120 turned a quarter is 120x160; x80 keeps that ratio.
    expect(streamOf(await ffprobeJson(out.members![0].path), 'video')).toMatchObject({ codec_name: 'png', width: 60, height: 80 });
  });

  it('with tile lays snapshots out as sprite sheets of cols×rows, the last one padded', async () => {
    const out = await runSet('vsample/jpg/interval/1/s/40x30/tile/3x1', 'sprites/s.json');
    const index = JSON.parse(await fs.readFile(out.path, 'utf8')) as VsampleIndex;
    expect(index).toMatchObject({ snapshots: 4, keys: ['sprites/s-000000.jpg', 'sprites/s-000001.jpg'] });
    expect(index.tile).toEqual({ columns: 3, rows: 1, snapshotWidth: 40, snapshotHeight: 30 });
    for (const member of out.members!) expect(streamOf(await ffprobeJson(member.path), 'video')).toMatchObject({ width: 120, height: 30 });
  });

  it('refuses a start past the end, and a step without a target', async () => {
    await expect(runSet('vsample/jpg/ss/9', 'a.json')).rejects.toMatchObject({ status: 400, message: 'ss 9 s is at or past the end of the video (4 s)' });
    const context: AvStepContext = { workDir: dir, objectPath: async () => '' };
    await expect(av.runStep(parsePipeline('vsample/jpg').steps[0] as AvStep, clip, context)).rejects.toMatchObject({ status: 400 });
  });
});
