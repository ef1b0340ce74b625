import { commandNames, commands, isCommandName } from './catalogue';

describe('command catalogue', () => {
  it('lists every command once, keyed by its own name', () => {
    expect(commandNames()).toEqual([
      'imageView2', 'imageInfo', 'imageMogr2', 'watermark', 'exif', 'imageAve', 'imageslim', 'qrcode',
      'avthumb', 'vframe', 'avinfo', 'avconcat', 'vsample', 'adapt',
    ]);
    for (const name of commandNames()) expect(commands[name].name).toBe(name);
  });

  it('gives every command a family, an output and a summary', () => {
    for (const spec of Object.values(commands)) {
      expect(['image', 'av']).toContain(spec.family);
      expect(['media', 'json']).toContain(spec.output);
      expect(spec.summary.length).toBeGreaterThan(10);
    }
  });

  it('recognises names case-sensitively and only as own keys', () => {
    expect(isCommandName('imageView2')).toBe(true);
    expect(isCommandName('imageInfo')).toBe(true);
    for (const name of ['imageview2', 'ImageInfo', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(isCommandName(name)).toBe(false);
    }
  });

  it('marks the audio/video commands, and only avconcat, vsample and adapt as async-only', () => {
    expect(commandNames().filter((name) => commands[name].family === 'av')).toEqual(['avthumb', 'vframe', 'avinfo', 'avconcat', 'vsample', 'adapt']);
    expect(commandNames().filter((name) => commands[name].syncAllowed === false)).toEqual(['avconcat', 'vsample', 'adapt']);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(commands)).toBe(true);
  });
});
