import { FopSyntaxError } from './errors';
import { parsePipeline } from './pipeline';
import { qrcodeCommand } from './qrcode.command';

describe('qrcode', () => {
  it('is an image command producing media', () => {
    expect(qrcodeCommand).toMatchObject({ name: 'qrcode', family: 'image', output: 'media' });
  });

  it("defaults to Qiniu's mode 0 and level L", () => {
    expect(qrcodeCommand.parse([], 1)).toEqual({ mode: 0, level: 'L' });
    expect(qrcodeCommand.parse(['1'], 1)).toEqual({ mode: 1, level: 'L' });
    expect(qrcodeCommand.parse(['level', 'H'], 1)).toEqual({ mode: 0, level: 'H' });
    expect(qrcodeCommand.parse(['1', 'level', 'Q'], 1)).toEqual({ mode: 1, level: 'Q' });
  });

  it('writes one canonical text for one meaning', () => {
    expect(parsePipeline('qrcode').normalized).toBe('qrcode/0');
    expect(parsePipeline('qrcode/0/level/L').normalized).toBe('qrcode/0');
    expect(parsePipeline('qrcode/1/level/M').normalized).toBe('qrcode/1/level/M');
  });

  it('names a bad mode or level', () => {
    expect(() => qrcodeCommand.parse(['2'], 3)).toThrow("qrcode: mode must be 0 or 1, got '2' (step 3)");
    expect(() => qrcodeCommand.parse(['0', 'level', 'X'], 1)).toThrow("qrcode: parameter 'level' must be one of L, M, Q, H, got 'X' (step 1)");
    expect(() => qrcodeCommand.parse(['level'], 1)).toThrow(FopSyntaxError);
    expect(() => qrcodeCommand.parse(['0', 'size', '4'], 1)).toThrow(FopSyntaxError);
  });
});
