import { FopSyntaxError } from './errors';
import { imageAveCommand } from './image-ave.command';

describe('imageAve', () => {
  it('is an image command producing JSON', () => {
    expect(imageAveCommand).toMatchObject({ name: 'imageAve', family: 'image', output: 'json' });
  });

  it('takes no parameters and formats as its bare name', () => {
    expect(imageAveCommand.parse([], 1)).toEqual({});
    expect(imageAveCommand.format({})).toBe('imageAve');
  });

  it('names the first unexpected token', () => {
    expect(() => imageAveCommand.parse(['x'], 2)).toThrow(FopSyntaxError);
    expect(() => imageAveCommand.parse(['x'], 2)).toThrow("imageAve: takes no parameters, got 'x' (step 2)");
  });
});
