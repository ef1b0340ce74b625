import { adaptCommand } from './adapt.command';
import { parsePipeline } from './pipeline';
import { isAsyncOnly } from './object-set.step';
import { commandTester } from './testing/syntax-error.expect';

const { parse, canonical, thrown } = commandTester(adaptCommand);

// Qiniu's adapt page (dora/api/multiple-rate-adaptive-transcoding-adapt): envBandWidth required,
// 2 to 5 ascending values in [50000, 30000000]; multiVb/multiAb/multiResolution as many values,
// each exclusive with vb/ab/resolution; $(origin) keeps the source's bitrate; resolution is w:h.
describe('adapt parse', () => {
  it('makes one rendition per bandwidth with its bitrates and size', () => {
    expect(parse('m3u8/envBandWidth/200000,800000/multiVb/150k,$(origin)/multiAb/32k,64k/multiResolution/320:180,640:360/hlstime/4')).toEqual({
      format: 'm3u8',
      segmentSeconds: 4,
      renditions: [
        { bandwidthBps: 200_000, videoBitrateBps: 150_000, audioBitrateBps: 32_000, size: { width: 320, height: 180 } },
        { bandwidthBps: 800_000, audioBitrateBps: 64_000, size: { width: 640, height: 360 } },
      ],
    });
  });

  it('gives every rendition the common vb/ab/resolution', () => {
    expect(parse('m3u8/envBandWidth/100000,300000,900000/ab/48k')).toEqual({
      format: 'm3u8',
      segmentSeconds: 10,
      renditions: [100_000, 300_000, 900_000].map((bandwidthBps) => ({ bandwidthBps, audioBitrateBps: 48_000 })),
    });
  });

  it('writes one canonical text for one meaning, async only', () => {
    expect(canonical('m3u8/envBandWidth/100000,300000/ab/48k/hlstime/10')).toBe('adapt/m3u8/envBandWidth/100000,300000/multiAb/48k,48k');
    const text = 'adapt/m3u8/envBandWidth/100000,300000/multiVb/$(origin),500k/multiResolution/320:180,640:360/hlstime/6';
    expect(canonical(text.slice('adapt/'.length))).toBe(text);
    expect(isAsyncOnly(parsePipeline('adapt/m3u8/envBandWidth/100000,300000').steps[0])).toBe(true);
  });
});

describe('adapt errors', () => {
  it.each([
    ['mp4', "adapt: format must be one of m3u8, got 'mp4' (step 1)"],
    ['m3u8', "adapt: parameter 'envBandWidth' (the renditions' bandwidths, like 200000,800000) is required (step 1)"],
    ['m3u8/envBandWidth/200000', "adapt: parameter 'envBandWidth' must list 2 to 5 values separated by ',', got '200000' (step 1)"],
    ['m3u8/envBandWidth/1,2,3,4,5,6', "adapt: parameter 'envBandWidth' must list 2 to 5 values separated by ',', got '1,2,3,4,5,6' (step 1)"],
    ['m3u8/envBandWidth/800000,200000', "adapt: parameter 'envBandWidth' must list bandwidths in ascending order, got '800000,200000' (step 1)"],
    ['m3u8/envBandWidth/40000,200000', "adapt: parameter 'envBandWidth' must be an integer from 50000 to 30000000, got '40000' (step 1)"],
    ['m3u8/envBandWidth/100000,200000/multiVb/100k', "adapt: parameter 'multiVb' must list 2 to 5 values separated by ',', got '100k' (step 1)"],
    ['m3u8/envBandWidth/100000,200000/multiVb/100k,200k,300k', "adapt: parameter 'multiVb' has 3 values; envBandWidth has 2 (step 1)"],
    ['m3u8/envBandWidth/100000,200000/multiAb/32k,64k/ab/32k', "adapt: parameters 'multiAb' and 'ab' cannot be used together (step 1)"],
    ['m3u8/envBandWidth/100000,200000/multiResolution/320x180,640x360', "adapt: parameter 'multiResolution' must be <width>:<height> with even sides, width 20 to 3840 and height 20 to 2160, got '320x180' (step 1)"],
    ['m3u8/envBandWidth/100000,200000/resolution/321:180', "adapt: parameter 'resolution' must be <width>:<height> with even sides, width 20 to 3840 and height 20 to 2160, got '321:180' (step 1)"],
    ['m3u8/envBandWidth/100000,200000/hlstime/1', "adapt: parameter 'hlstime' must be an integer from 2 to 120, got '1' (step 1)"],
    ['m3u8/envBandWidth/100000,200000/multiPrefix/eA', "adapt: unknown parameter 'multiPrefix'; expected one of envBandWidth, multiAb, multiVb, multiResolution, ab, vb, resolution, hlstime (step 1)"],
  ])('%p is refused', (text, message) => {
    expect(thrown(text).message).toBe(message);
  });
});
