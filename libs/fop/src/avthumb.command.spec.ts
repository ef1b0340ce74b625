import { commandTester } from './testing/syntax-error.expect';
import { avthumbCommand } from './avthumb.command';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const { parse, canonical, thrown } = commandTester(avthumbCommand);

describe('avthumb spec', () => {
  it('is an av command producing media, allowed in sync fops', () => {
    expect(avthumbCommand).toMatchObject({ name: 'avthumb', family: 'av', output: 'media' });
    expect(avthumbCommand.syncAllowed).not.toBe(false);
  });
});

describe('avthumb parse', () => {
  it('reads every parameter into domain values', () => {
    const mark = b64('http://cdn.example.com/media/logo.png');
    const text = b64('Fopflow');
    expect(
      parse(
        `mp4/ab/128k/ar/44100/ac/2/r/30/vb/1.25m/vcodec/libx265/acodec/libmp3lame/s/1280x720/autoscale/1/aspect/16:9` +
          `/ss/3.345/t/10/stripmeta/1/rotate/90/wmImage/${mark}/wmGravity/SouthEast/wmText/${text}` +
          `/wmGravityText/North/wmFontColor/${b64('#FF0000')}/wmFontSize/24`,
      ),
    ).toEqual({
      format: 'mp4',
      audioBitrateBps: 128_000,
      sampleRateHz: 44100,
      channels: 2,
      frameRate: 30,
      videoBitrateBps: 1_250_000,
      videoCodec: 'libx265',
      audioCodec: 'libmp3lame',
      size: { width: 1280, height: 720 },
      autoscale: true,
      aspect: { width: 16, height: 9 },
      startMs: 3345,
      durationMs: 10_000,
      stripMetadata: true,
      rotate: 90,
      watermarkImage: { bucket: 'media', key: 'logo.png' },
      watermarkGravity: 'SouthEast',
      watermarkText: 'Fopflow',
      textGravity: 'North',
      fontColor: { r: 255, g: 0, b: 0, a: 255 },
      fontSizePx: 24,
    });
  });

  it.each(['mp4', 'webm', 'mov', 'mp3', 'aac', 'm4a', 'ogg', 'flac', 'wav'])('accepts format %p alone', (format) => {
    expect(parse(format)).toEqual({ format });
  });

  it('reads mp3 quality, an and vn', () => {
    expect(parse('mp3/aq/0')).toEqual({ format: 'mp3', audioQuality: 0 });
    expect(parse('mp4/an/1')).toEqual({ format: 'mp4', noAudio: true });
    expect(parse('webm/vn/1/ab/96k')).toEqual({ format: 'webm', noVideo: true, audioBitrateBps: 96_000 });
  });

  it('reads bitrates in bps, k and m, with decimals', () => {
    expect(parse('mp4/ab/96000').audioBitrateBps).toBe(96_000);
    expect(parse('mp4/ab/0.5m').audioBitrateBps).toBe(500_000);
    expect(parse('mp4/vb/5M').videoBitrateBps).toBe(5_000_000);
    expect(parse('mp4/vb/1.5m').videoBitrateBps).toBe(1_500_000);
  });

  it('names wmImage objects by URL (host ignored) or by bucket:key', () => {
    expect(parse(`mp4/wmImage/${b64('https://anything.example/media/dir/a%20b.png')}`).watermarkImage).toEqual({ bucket: 'media', key: 'dir/a b.png' });
    expect(parse(`mp4/wmImage/${b64('media:dir/x.png')}`).watermarkImage).toEqual({ bucket: 'media', key: 'dir/x.png' });
  });
});

describe('avthumb folding: same meaning, same text', () => {
  it.each([
    ['mp4/vcodec/libx264/acodec/aac', 'avthumb/mp4'],
    ['webm/vcodec/libvpx-vp9/acodec/libopus', 'avthumb/webm'],
    ['mp3/acodec/libmp3lame/vn/1', 'avthumb/mp3'],
    ['mp4/ss/0/autoscale/0/stripmeta/0/an/0/vn/0/rotate/auto', 'avthumb/mp4'],
    ['mp4/ab/128000/vb/1500000', 'avthumb/mp4/ab/128k/vb/1.5m'],
    ['mp4/ab/1000k', 'avthumb/mp4/ab/1m'],
    ['mp4/aspect/32:18', 'avthumb/mp4/aspect/16:9'],
    ['mp4/ss/01.500/t/2.000', 'avthumb/mp4/ss/1.5/t/2'],
    [`mp4/wmImage/${b64('http://h/media/logo.png')}/wmGravity/NorthEast`, `avthumb/mp4/wmImage/${b64('media:logo.png')}`],
    [`mp4/wmText/${b64('hi')}/wmGravityText/NorthEast/wmFontColor/${b64('#000000')}/wmFontSize/16`, `avthumb/mp4/wmText/${b64('hi')}`],
  ])('%s is %s', (text, expected) => {
    expect(canonical(text)).toBe(expected);
  });

  it('writes parameters in the documented order whatever the order written', () => {
    expect(canonical('mp4/s/640x360/t/5/ab/64k/vb/800k/r/25')).toBe('avthumb/mp4/ab/64k/r/25/vb/800k/s/640x360/t/5');
    expect(canonical('mp4/r/25/vb/800k/ab/64k/t/5/s/640x360')).toBe('avthumb/mp4/ab/64k/r/25/vb/800k/s/640x360/t/5');
  });

  it('keeps different meanings apart', () => {
    const texts = ['mp4', 'mov', 'mp4/s/640x360', 'mp4/s/640x360/autoscale/1', 'mp4/vcodec/libx265', 'mp4/ss/1', 'mp4/t/1', 'mp4/rotate/90', 'mp4/rotate/270', 'mp4/an/1', 'mp4/vn/1', 'mp4/ab/64k', 'mp4/ab/65k'];
    expect(new Set(texts.map(canonical)).size).toBe(texts.length);
  });

  it('round-trips its own output', () => {
    const text = canonical(`webm/vb/2m/s/854x480/wmText/${b64('100% ✓')}/wmFontColor/${b64('#ffffff80')}/wmGravityText/South`);
    expect(canonical(text.slice('avthumb/'.length))).toBe(text);
  });
});

describe('avthumb errors', () => {
  it('requires a format and names the allowed ones', () => {
    expect(thrown('').message).toBe('avthumb: format (one of mp4, webm, mov, mp3, aac, m4a, ogg, flac, wav, m3u8) is required as the first value (step 1)');
    expect(thrown('flv', 2).message).toBe("avthumb: format must be one of mp4, webm, mov, mp3, aac, m4a, ogg, flac, wav, m3u8, got 'flv' (step 2)");
  });

  it.each([
    ['ab', ['7k', '7999', '1.1m', '1.2345k', 'k', '12kb', '-64k', '64 k', '', '1e5']],
    ['vb', ['9k', '101m', '0.0000001m', 'fast']],
  ])('refuses bitrate %p values out of range or malformed', (name, tokens) => {
    const range = name === 'ab' ? 'from 8k to 1m' : 'from 10k to 100m';
    for (const token of tokens) {
      const error = thrown(`mp4/${name}/${token}`);
      expect(error.message).toBe(`avthumb: parameter '${name}' must be a bitrate ${range} bits per second (like 128k, 1.5m or 96000), got '${token}' (step 1)`);
      expect(error.token).toBe(token);
    }
  });

  it.each([
    ['aq', 'mp3', ['10', '-1', 'x'], 'an integer from 0 to 9'],
    ['ac', 'mp4', ['0', '3', 'stereo'], '1 or 2'],
    ['r', 'mp4', ['0', '61', '29.97'], 'an integer from 1 to 60'],
    ['wmFontSize', 'mp4', ['0', '501'], 'an integer from 1 to 500'],
  ])('refuses integer %p out of range', (name, format, tokens, range) => {
    const prefix = name === 'wmFontSize' ? `wmText/${b64('x')}/` : '';
    for (const token of tokens) {
      expect(thrown(`${format}/${prefix}${name}/${token}`).message).toBe(`avthumb: parameter '${name}' must be ${range}, got '${token}' (step 1)`);
    }
  });

  it.each(['autoscale', 'stripmeta', 'an', 'vn'])('refuses flag %p other than 0 or 1', (name) => {
    expect(thrown(`mp4/${name}/2`).message).toBe(`avthumb: parameter '${name}' must be 0 or 1, got '2' (step 1)`);
  });

  it.each(['22000', '44.1k', '0', '192000'])('refuses sample rate %p', (token) => {
    expect(thrown(`mp4/ar/${token}`).message).toBe(
      `avthumb: parameter 'ar' must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000 (Hz), got '${token}' (step 1)`,
    );
  });

  it.each(['19x360', '640x19', '3841x360', '640x2161', '640*360', '640x', 'x360', '1e3x360'])('refuses size %p', (token) => {
    expect(thrown(`mp4/s/${token}`).message).toBe(
      `avthumb: parameter 's' must be <width>x<height> with width from 20 to 3840 and height from 20 to 2160, got '${token}' (step 1)`,
    );
  });

  it.each(['16/9', '0:9', '16:0', '16:', '10000:1', '1.5:1'])('refuses aspect %p', (token) => {
    const text = token.includes('/') ? 'mp4/aspect/16/9' : `mp4/aspect/${token}`;
    expect(thrown(text).message).toMatch(/^avthumb: (parameter 'aspect' must be <w>:<h> with each an integer from 1 to 9999 \(like 16:9\)|unknown parameter '9')/);
  });

  it.each([
    ['ss', '-1', 'from 0 to 86400'],
    ['ss', '1.2345', 'from 0 to 86400'],
    ['ss', '86400.001', 'from 0 to 86400'],
    ['t', '0', 'from 0.001 to 86400'],
    ['t', '1:00', 'from 0.001 to 86400'],
  ])('refuses %s %p', (name, token, range) => {
    expect(thrown(`mp4/${name}/${token}`).message).toBe(`avthumb: parameter '${name}' must be seconds ${range} with at most 3 decimals, got '${token}' (step 1)`);
  });

  it.each(['45', '360', '-90', 'Auto'])('refuses rotate %p', (token) => {
    expect(thrown(`mp4/rotate/${token}`).message).toBe(`avthumb: parameter 'rotate' must be one of 90, 180, 270, auto, got '${token}' (step 1)`);
  });

  it('refuses codecs outside the allow-list and outside the container', () => {
    expect(thrown('mp4/vcodec/h264').message).toBe(
      "avthumb: parameter 'vcodec' must be one of libx264, libx265, libvpx-vp9, libvpx, copy, got 'h264' (step 1)",
    );
    expect(thrown('mp4/vcodec/libvpx').message).toBe("avthumb: parameter 'vcodec' must be one of libx264, libx265, copy for mp4, got 'libvpx' (step 1)");
    expect(thrown('webm/acodec/aac').message).toBe("avthumb: parameter 'acodec' must be one of libopus, libvorbis, copy for webm, got 'aac' (step 1)");
    expect(thrown('wav/acodec/flac').message).toContain("must be one of pcm_s16le, copy for wav, got 'flac'");
  });

  it('refuses video parameters for audio-only formats and with vn/1', () => {
    expect(thrown('mp3/s/640x360').message).toBe("avthumb: parameter 's' needs a video format; 'mp3' holds audio only (step 1)");
    expect(thrown('aac/vcodec/copy').message).toContain("parameter 'vcodec' needs a video format");
    expect(thrown('mp4/vn/1/r/25').message).toBe("avthumb: parameter 'r' has no effect with vn/1 (no video in the output) (step 1)");
    expect(thrown(`mp4/vn/1/wmText/${b64('x')}`).message).toContain("parameter 'wmText' has no effect with vn/1");
  });

  it('refuses audio parameters with an/1, and an output with nothing in it', () => {
    expect(thrown('mp4/an/1/ab/64k').message).toBe("avthumb: parameter 'ab' has no effect with an/1 (no audio in the output) (step 1)");
    expect(thrown('mp4/an/1/vn/1').message).toBe('avthumb: an/1 and vn/1 together leave nothing to write (step 1)');
    expect(thrown('mp3/an/1').message).toBe("avthumb: an/1 leaves 'mp3' with nothing to write (step 1)");
  });

  it('refuses settings a stream copy cannot apply', () => {
    expect(thrown('mp4/vcodec/copy/s/640x360').message).toBe("avthumb: parameter 's' needs re-encoding, so it cannot be used with vcodec/copy (step 1)");
    expect(thrown('mp4/acodec/copy/ar/22050').message).toBe("avthumb: parameter 'ar' needs re-encoding, so it cannot be used with acodec/copy (step 1)");
    expect(parse('mp4/vcodec/copy/acodec/copy/ss/1/t/2/aspect/4:3')).toMatchObject({ videoCodec: 'copy', audioCodec: 'copy' });
  });

  it('checks ab, aq and ar against the audio codec', () => {
    expect(thrown('mp3/ab/64k/aq/2').message).toBe("avthumb: parameters 'ab' and 'aq' cannot be used together (step 1)");
    expect(thrown('mp4/aq/2').message).toBe("avthumb: parameter 'aq' sets libmp3lame's quality; the audio codec here is aac (step 1)");
    expect(thrown('flac/ab/320k').message).toBe("avthumb: parameter 'ab' has no effect on lossless flac (step 1)");
    expect(thrown('webm/ar/44100').message).toBe("avthumb: parameter 'ar' must be one of 8000, 12000, 16000, 24000, 48000 for libopus, got '44100' (step 1)");
    expect(thrown('mp3/ar/96000').message).toContain('for libmp3lame');
  });

  it('refuses options of an absent watermark and autoscale without s', () => {
    expect(thrown('mp4/autoscale/1').message).toBe("avthumb: autoscale/1 needs parameter 's' (the box to fit in) (step 1)");
    expect(thrown('mp4/wmGravity/South').message).toBe(
      "avthumb: parameter 'wmGravity' places wmImage, which is absent; wmGravityText places wmText (step 1)",
    );
    expect(thrown('mp4/wmFontSize/20').message).toBe("avthumb: parameter 'wmFontSize' styles wmText, which is absent (step 1)");
  });

  it('refuses bad encoded values', () => {
    expect(thrown('mp4/wmText/!!').message).toContain("parameter 'wmText' must be text in URL-safe base64; it is not valid base64, got '!!'");
    expect(thrown(`mp4/wmText/${b64('a\nb')}`).message).toContain('control character');
    expect(thrown(`mp4/wmText/${b64('x'.repeat(201))}`).message).toContain('over 200 characters');
    expect(thrown(`mp4/wmImage/${b64('http://h/Bad_Bucket/k.png')}`).message).toContain("parameter 'wmImage'");
    expect(thrown(`mp4/wmImage/${b64('http://h/media/a.png?x=1')}`).message).toContain('no query or fragment');
    expect(thrown(`mp4/wmImage/${b64('http://h/media/../etc/passwd')}`).message).toContain("'..' segments");
    expect(thrown(`mp4/wmText/${b64('x')}/wmFontColor/${b64('#12345')}`).message).toContain("parameter 'wmFontColor'");
  });

  it('rejects unknown, repeated and valueless parameters', () => {
    expect(thrown('mp4/wmScaleType/1').message).toContain("unknown parameter 'wmScaleType'; expected one of ab, aq, ar, ac, r, vb, vcodec");
    expect(thrown('mp4/s/640x360/s/640x360').message).toBe("avthumb: parameter 's' is given more than once (step 1)");
    expect(thrown('mp4/s').message).toBe("avthumb: parameter 's' has no value (step 1)");
    expect(thrown('mp4/S/640x360').message).toContain("unknown parameter 'S'");
  });
});

// Qiniu's avthumb page (dora/manual/1248) lists crf, h264Profile, h264Level, maxrate, gop, padW,
// padH, padVideoX, padVideoY, deinterlace, s/<W>x<H>> and s/<W>x<H><, subtitle; its video
// watermark page (dora/manual/1314) wmScale, wmOffsetX and wmOffsetY.
describe('avthumb encoder, picture and mark placement parameters (Qiniu dora/manual/1248, 1314)', () => {
  it('reads each into domain values, and writes them back in the documented order', () => {
    const sub = b64('media:film.srt');
    const mark = b64('media:logo.png');
    const text = `mp4/subtitle/${sub}/gop/48/crf/23/h264Level/3.1/h264Profile/main/maxrate/1.5m/padW/1280/padH/720/padVideoX/8/padVideoY/0` +
      `/deinterlace/1/wmImage/${mark}/wmScale/0.25/wmOffsetX/-5/wmOffsetY/20`;
    expect(parse(text)).toEqual({
      format: 'mp4',
      watermarkImage: { bucket: 'media', key: 'logo.png' },
      crf: 23,
      h264Profile: 'main',
      h264Level: '3.1',
      maxrateBps: 1_500_000,
      gopFrames: 48,
      pad: { width: 1280, height: 720, videoX: 8, videoY: 0 },
      deinterlace: true,
      watermarkScale: 0.25,
      watermarkOffsetXPx: -5,
      watermarkOffsetYPx: 20,
      subtitle: { bucket: 'media', key: 'film.srt' },
    });
    expect(canonical(text)).toBe(
      `avthumb/mp4/wmImage/${mark}/crf/23/h264Profile/main/h264Level/3.1/maxrate/1.5m/gop/48/padW/1280/padH/720/padVideoX/8/padVideoY/0` +
        `/deinterlace/1/wmScale/0.25/wmOffsetX/-5/wmOffsetY/20/subtitle/${sub}`,
    );
  });

  it('names the subtitle and the mark as objects the step reads, so both are decided for access', () => {
    const args = parse(`mp4/wmImage/${b64('marks:logo.png')}/subtitle/${b64('http://cdn.example.com/subs/film.srt')}`);
    expect(avthumbCommand.references(args)).toEqual([{ bucket: 'marks', key: 'logo.png' }, { bucket: 'subs', key: 'film.srt' }]);
  });

  it("reads s/<W>x<H>> as 'only shrink' and s/<W>x<H>< as 'only enlarge'", () => {
    expect(parse('mp4/s/640x360>')).toEqual({ format: 'mp4', size: { width: 640, height: 360 }, sizeOnly: 'shrink' });
    expect(parse('mp4/s/640x360</autoscale/1')).toEqual({ format: 'mp4', size: { width: 640, height: 360 }, sizeOnly: 'enlarge', autoscale: true });
    expect(canonical('mp4/s/640x360>')).toBe('avthumb/mp4/s/640x360>');
    expect(new Set(['mp4/s/640x360', 'mp4/s/640x360>', 'mp4/s/640x360<'].map(canonical)).size).toBe(3);
    expect(thrown('mp4/s/640x360>>').message).toContain("parameter 's' must be <width>x<height>");
  });

  it('takes h264Level as 3.1, 31 or 3.0, and writes the standard number', () => {
    expect(parse('mp4/h264Level/31').h264Level).toBe('3.1');
    expect(parse('mp4/h264Level/3.0').h264Level).toBe('3');
    expect(thrown('mp4/h264Level/6.2').message).toContain("parameter 'h264Level' must be one of 1, 1.1");
  });

  it('refuses values out of range', () => {
    expect(thrown('mp4/crf/52').message).toBe("avthumb: parameter 'crf' must be an integer from 0 to 51, got '52' (step 1)");
    expect(thrown('mp4/h264Profile/high10').message).toBe("avthumb: parameter 'h264Profile' must be one of baseline, main, high, got 'high10' (step 1)");
    expect(thrown('mp4/gop/0').message).toBe("avthumb: parameter 'gop' must be an integer from 1 to 1000, got '0' (step 1)");
    expect(thrown('mp4/maxrate/1').message).toContain("parameter 'maxrate' must be a bitrate");
    expect(thrown('mp4/padW/641/padH/360').message).toBe("avthumb: parameter 'padW' must be even (4:2:0 video has even sides), got '641' (step 1)");
    expect(thrown('mp4/padW/640/padH/360/padVideoX/641').message).toContain("parameter 'padVideoX' must be an integer from 0 to 640");
    expect(thrown(`mp4/wmImage/${b64('media:b.png')}/wmScale/1.5`).message).toContain("parameter 'wmScale' must be a share of the frame's width above 0 and up to 1");
    expect(thrown(`mp4/wmImage/${b64('media:b.png')}/wmScale/0`).message).toContain("parameter 'wmScale' must be a share");
    expect(thrown(`mp4/wmImage/${b64('media:b.png')}/wmOffsetX/1.5`).message).toContain("parameter 'wmOffsetX' must be whole px");
  });

  it('refuses combinations that could not work, naming both sides', () => {
    expect(thrown('mp4/padW/640').message).toBe("avthumb: padW and padH go together: parameter 'padH' is missing (step 1)");
    expect(thrown('mp4/padVideoX/4').message).toBe("avthumb: parameter 'padVideoX' places the picture in the padded frame, which needs padW and padH (step 1)");
    expect(thrown('mp4/crf/23/vb/1m').message).toBe("avthumb: parameters 'vb' and 'crf' cannot be used together (step 1)");
    expect(thrown('webm/crf/30').message).toBe("avthumb: parameter 'crf' is for libx264 and libx265; the video codec here is libvpx-vp9 (step 1)");
    expect(thrown('mp4/vcodec/libx265/h264Profile/main').message).toBe(
      "avthumb: parameter 'h264Profile' is for H.264 (libx264); the video codec here is libx265 (step 1)",
    );
    expect(thrown('mp4/vcodec/copy/gop/25').message).toBe("avthumb: parameter 'gop' needs re-encoding, so it cannot be used with vcodec/copy (step 1)");
    expect(thrown('mp3/deinterlace/1').message).toBe("avthumb: parameter 'deinterlace' needs a video format; 'mp3' holds audio only (step 1)");
    expect(thrown('mp4/wmScale/0.5').message).toBe("avthumb: parameter 'wmScale' places wmImage, which is absent (step 1)");
    expect(thrown('mp4/wmOffsetY/3').message).toBe("avthumb: parameter 'wmOffsetY' places wmImage, which is absent (step 1)");
    expect(parse('mov/vcodec/libx265/crf/28')).toMatchObject({ videoCodec: 'libx265', crf: 28 });
  });
});
