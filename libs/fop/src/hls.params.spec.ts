import { avthumbCommand } from './avthumb.command';
import { parsePipeline } from './pipeline';
import { commandTester } from './testing/syntax-error.expect';
import { isAsyncOnly, writesObjectSet } from './object-set.step';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const key16 = Buffer.from('0123456789abcdef').toString('base64url');
const { parse, canonical, thrown } = commandTester(avthumbCommand);

// Qiniu's HLS page (dora/manual/1485): segtime 2-120 s, default 10; hlsKey a 16-byte AES-128 key;
// hlsKeyUrl where players fetch it; noDomain 0/1; pattern names the segments with $(count).
describe('avthumb/m3u8 parse', () => {
  it('reads the HLS parameters beside the transcoding ones', () => {
    expect(parse(`m3u8/segtime/4/ab/64k/vb/300k/s/320x180/r/25/vcodec/libx264/acodec/aac/hlsKey/${key16}/hlsKeyType/0/hlsKeyUrl/${b64('https://keys.example.com/k1')}/noDomain/1/pattern/${b64('hls/a-$(count).ts')}`)).toEqual({
      format: 'm3u8',
      audioBitrateBps: 64_000,
      frameRate: 25,
      videoBitrateBps: 300_000,
      size: { width: 320, height: 180 },
      hls: {
        segmentSeconds: 4,
        keyHex: Buffer.from('0123456789abcdef').toString('hex'),
        keyUrl: 'https://keys.example.com/k1',
        noDomain: true,
        segmentPattern: 'hls/a-$(count).ts',
      },
    });
  });

  it('defaults to 10 s segments, and hls is another name of m3u8', () => {
    expect(parse('m3u8')).toEqual({ format: 'm3u8', hls: { segmentSeconds: 10 } });
    expect(canonical('hls/segtime/10/noDomain/0/hlsKeyType/0')).toBe('avthumb/m3u8');
  });

  it('writes a canonical text that parses to the same meaning', () => {
    const text = `avthumb/m3u8/ab/64k/segtime/3/hlsKey/${key16}/hlsKeyUrl/${b64('/keys/k1')}/noDomain/1/pattern/${b64('x/$(count).ts')}`;
    expect(canonical(text.slice('avthumb/'.length))).toBe(text);
  });

  it('is a set of objects: async only and last in its pipeline', () => {
    const [step] = parsePipeline('avthumb/m3u8').steps;
    expect(writesObjectSet(step)).toBe(true);
    expect(isAsyncOnly(step)).toBe(true);
    expect(isAsyncOnly(parsePipeline('avthumb/mp4').steps[0])).toBe(false);
    expect(() => parsePipeline('avthumb/m3u8|avinfo')).toThrow('avthumb: writes a set of objects (a playlist and segments, or a series of images), so it must be the last step (step 1)');
    expect(parsePipeline('avthumb/mp4/t/2|avthumb/m3u8').steps).toHaveLength(2);
  });
});

describe('avthumb/m3u8 errors', () => {
  it.each([
    ['m3u8/segtime/1', "avthumb: parameter 'segtime' must be an integer from 2 to 120, got '1' (step 1)"],
    ['m3u8/segtime/121', "avthumb: parameter 'segtime' must be an integer from 2 to 120, got '121' (step 1)"],
    [`m3u8/hlsKey/${b64('short')}/hlsKeyUrl/${b64('/k')}`, `avthumb: parameter 'hlsKey' must be 16 bytes in URL-safe base64 (an AES-128 key), got '${b64('short')}' (step 1)`],
    [`m3u8/hlsKey/${key16}`, "avthumb: hlsKey needs parameter 'hlsKeyUrl': where players fetch the key (step 1)"],
    [`m3u8/hlsKeyUrl/${b64('/k')}`, "avthumb: parameter 'hlsKeyUrl' names the key of hlsKey, which is absent (step 1)"],
    [`m3u8/hlsKey/${key16}/hlsKeyUrl/${b64('https://a/"b')}`, `avthumb: parameter 'hlsKeyUrl' must be an http(s) or path-absolute URL without quotes or spaces, got 'https://a/"b' (step 1)`],
    ['m3u8/hlsKeyType/1', "avthumb: parameter 'hlsKeyType' must be one of 0, got '1' (step 1)"],
    ['m3u8/noDomain/2', "avthumb: parameter 'noDomain' must be 0 or 1, got '2' (step 1)"],
    [`m3u8/pattern/${b64('seg.ts')}`, "avthumb: parameter 'pattern' must hold $(count) (the member's six-digit number), got 'seg.ts' (step 1)"],
    [`m3u8/pattern/${b64('../$(count).ts')}`, "avthumb: parameter 'pattern' must be a key in the target's bucket: no leading '/', no '.' or '..' parts (step 1)"],
    [`m3u8/pattern/${b64('/a/$(count).ts')}`, "avthumb: parameter 'pattern' must be a key in the target's bucket: no leading '/', no '.' or '..' parts (step 1)"],
    ['mp4/segtime/4', "avthumb: parameter 'segtime' is for HLS only (avthumb/m3u8), not 'mp4' (step 1)"],
    ['m3u8/vcodec/libx265', "avthumb: parameter 'vcodec' must be one of libx264, copy for m3u8, got 'libx265' (step 1)"],
    ['m3u8/acodec/libopus', "avthumb: parameter 'acodec' must be one of aac, libmp3lame, copy for m3u8, got 'libopus' (step 1)"],
  ])('%s is refused', (text, message) => {
    expect(thrown(text).message).toBe(message);
  });
});
