import { FopSyntaxError } from './errors';
import { imageInfoCommand } from './image-info.command';

describe('imageInfo', () => {
  it('is an image command producing JSON', () => {
    expect(imageInfoCommand).toMatchObject({ name: 'imageInfo', family: 'image', output: 'json' });
  });

  it('takes no parameters and formats as its bare name', () => {
    expect(imageInfoCommand.parse([], 1)).toEqual({});
    expect(imageInfoCommand.format({})).toBe('imageInfo');
  });

  it('names the first unexpected token', () => {
    let caught: unknown;
    try {
      imageInfoCommand.parse(['w', '10'], 4);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FopSyntaxError);
    expect(caught).toMatchObject({
      message: "imageInfo: takes no parameters, got 'w' (step 4)",
      token: 'w',
      stepIndex: 4,
    });
  });
});
