import { FopSyntaxError } from './errors';
import { imageslimCommand } from './imageslim.command';
import { parsePipeline } from './pipeline';

describe('imageslim', () => {
  it('is an image command producing media', () => {
    expect(imageslimCommand).toMatchObject({ name: 'imageslim', family: 'image', output: 'media' });
  });

  it("defaults zlevel to Qiniu's 3 and writes the default away in canonical text", () => {
    expect(imageslimCommand.parse([], 1)).toEqual({ zlevel: 3 });
    expect(parsePipeline('imageslim/zlevel/3').normalized).toBe('imageslim');
    expect(parsePipeline('imageView2/2/w/100|imageslim/zlevel/07').normalized).toBe('imageView2/2/w/100|imageslim/zlevel/7');
  });

  it('accepts zlevel 0 to 10 and names anything else', () => {
    expect(imageslimCommand.parse(['zlevel', '0'], 1)).toEqual({ zlevel: 0 });
    expect(imageslimCommand.parse(['zlevel', '10'], 1)).toEqual({ zlevel: 10 });
    expect(() => imageslimCommand.parse(['zlevel', '11'], 2)).toThrow("imageslim: parameter 'zlevel' must be an integer from 0 to 10, got '11' (step 2)");
    expect(() => imageslimCommand.parse(['q', '5'], 1)).toThrow(FopSyntaxError);
    expect(() => imageslimCommand.parse(['zlevel'], 1)).toThrow("parameter 'zlevel' has no value");
  });
});
