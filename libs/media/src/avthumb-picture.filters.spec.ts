import { deinterlaceFilter, encoderTuningOptions, imageMarkChains, padFilters, sizeFilters, subtitleFilter } from './avthumb-picture.filters';

// The exact ffmpeg text of avthumb's picture and encoder parameters (Qiniu dora/manual/1248 and
// 1314). avthumb.op.spec.ts runs each family through real ffmpeg and reads the result back.

describe('avthumb picture filters', () => {
  it('stretches to s, fits with autoscale, and with > or < scales only a frame on the right side of the box', () => {
    const size = { width: 640, height: 360 };
    expect(sizeFilters({})).toEqual([]);
    expect(sizeFilters({ size })).toEqual(['scale=640:360', 'setsar=1']);
    expect(sizeFilters({ size, autoscale: true })).toEqual(['scale=640:360:force_original_aspect_ratio=decrease', 'setsar=1']);
    expect(sizeFilters({ size, sizeOnly: 'shrink' })).toEqual([
      "scale=w='if(gt(iw,640)+gt(ih,360),640,iw)':h='if(gt(iw,640)+gt(ih,360),360,ih)'",
      'setsar=1',
    ]);
    expect(sizeFilters({ size, sizeOnly: 'enlarge', autoscale: true })).toEqual([
      "scale=w='if(lt(iw,640)*lt(ih,360),640,iw)':h='if(lt(iw,640)*lt(ih,360),360,ih)':force_original_aspect_ratio=decrease",
      'setsar=1',
    ]);
  });

  it('pads with black bars, centred or at padVideoX/padVideoY, fitting a larger picture first', () => {
    expect(padFilters({ width: 1280, height: 720 })).toEqual([
      "scale=w='min(iw,1280)':h='min(ih,720)':force_original_aspect_ratio=decrease",
      'scale=trunc(iw/2)*2:trunc(ih/2)*2',
      "pad=1280:720:x='(ow-iw)/2':y='(oh-ih)/2':color=black",
    ]);
    expect(padFilters({ width: 1280, height: 720, videoX: 16, videoY: 0 })[2]).toBe("pad=1280:720:x='min(16,ow-iw)':y='min(0,oh-ih)':color=black");
  });

  it('deinterlaces with yadif and burns subtitles from a file in the work dir', () => {
    expect(deinterlaceFilter).toBe('yadif=mode=send_frame:deint=interlaced');
    expect(subtitleFilter('subtitle-1.ass')).toBe('ass=filename=subtitle-1.ass');
  });

  it('turns crf, h264Profile, h264Level, maxrate and gop into encoder options', () => {
    expect(encoderTuningOptions({})).toEqual([]);
    expect(encoderTuningOptions({ crf: 28, h264Profile: 'baseline', h264Level: '3.1', maxrateBps: 500_000, gopFrames: 50 })).toEqual([
      '-crf', '28', '-profile:v', 'baseline', '-level:v', '3.1', '-maxrate', '500000', '-bufsize', '1000000', '-g', '50',
    ]);
  });
});

describe('avthumb image mark placement', () => {
  it('keeps the 10 px margin of the gravity by default', () => {
    expect(imageMarkChains({}, 'NorthEast', '1:0', 'base', 'marked')).toEqual([
      '[1:0]format=rgba[mark]',
      '[base][mark]overlay=x=main_w-overlay_w-10:y=10:format=auto[marked]',
    ]);
  });

  it('wmOffsetX/wmOffsetY replace the margin from the named edges and shift on a centred axis', () => {
    expect(imageMarkChains({ watermarkOffsetXPx: 30, watermarkOffsetYPx: -4 }, 'SouthEast', '1:0', 'base', 'marked')[1]).toBe(
      '[base][mark]overlay=x=main_w-overlay_w-30:y=main_h-overlay_h+4:format=auto[marked]',
    );
    expect(imageMarkChains({ watermarkOffsetXPx: 0, watermarkOffsetYPx: 12 }, 'West', '1:0', 'base', 'marked')[1]).toBe(
      '[base][mark]overlay=x=0:y=(main_h-overlay_h)/2+(12):format=auto[marked]',
    );
  });

  it('wmScale sizes the mark to a share of the frame width, keeping its ratio', () => {
    expect(imageMarkChains({ watermarkScale: 0.25 }, 'NorthWest', '1:0', 'base', 'marked')).toEqual([
      '[1:0]format=rgba[mark]',
      "[mark][base]scale2ref=w='max(1,iw*0.25)':h='max(1,ow/main_a)'[scaledmark][markbase]",
      '[markbase][scaledmark]overlay=x=10:y=10:format=auto[marked]',
    ]);
  });
});
