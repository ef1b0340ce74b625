import { FopSyntaxError } from './errors';
import { exifCommand } from './exif.command';

describe('exif', () => {
  it('is an image command producing JSON', () => {
    expect(exifCommand).toMatchObject({ name: 'exif', family: 'image', output: 'json' });
  });

  it('takes no parameters and formats as its bare name', () => {
    expect(exifCommand.parse([], 1)).toEqual({});
    expect(exifCommand.format({})).toBe('exif');
  });

  it('names the first unexpected token', () => {
    expect(() => exifCommand.parse(['x'], 2)).toThrow(FopSyntaxError);
    expect(() => exifCommand.parse(['x'], 2)).toThrow("exif: takes no parameters, got 'x' (step 2)");
  });
});
