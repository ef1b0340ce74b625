import { FopSyntaxError } from './errors';
import { type Colour, colourNames, formatColourText, formatEncodedColour, parseColourText, parseEncodedColour } from './colour.params';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const at = { command: 'demo', stepIndex: 1 };

describe('colour spellings', () => {
  it.each<[string, Colour]>([
    ['#F00', { r: 255, g: 0, b: 0, a: 255 }],
    ['#f008', { r: 255, g: 0, b: 0, a: 136 }],
    ['#12aBcD', { r: 0x12, g: 0xab, b: 0xcd, a: 255 }],
    ['#12ABCD7f', { r: 0x12, g: 0xab, b: 0xcd, a: 0x7f }],
    ['white', { r: 255, g: 255, b: 255, a: 255 }],
    ['transparent', { r: 0, g: 0, b: 0, a: 0 }],
    ['gray', { r: 126, g: 126, b: 126, a: 255 }],
  ])('reads %p', (text, colour) => {
    expect(parseColourText(text)).toEqual(colour);
  });

  it.each(['', '#', '#12', '#12345', '#1234567', '#GGG', 'FF0000', 'White', 'grey', 'constructor', '__proto__', ' red'])('rejects %p', (text) => {
    expect(parseColourText(text)).toBeUndefined();
  });

  it.each([
    ['#FF0000', 'red'],
    ['#ffffff', '#FFF'],
    ['#00000000', 'none'],
    ['#7E7E7E', 'gray'],
    ['#123456', '#123456'],
    ['#11223344', '#1234'],
    ['#12345678', '#12345678'],
    ['#FFA500', 'orange'],
  ])('writes %p as its shortest spelling %p', (text, shortest) => {
    expect(formatColourText(parseColourText(text)!)).toBe(shortest);
  });

  it('never writes a longer spelling than any accepted one', () => {
    for (const name of Object.keys(colourNames)) expect(formatColourText(colourNames[name]).length).toBeLessThanOrEqual(name.length);
  });

  it('reads and writes the base64 token', () => {
    expect(parseEncodedColour(at, "parameter 'fill'", b64('#ff0000'))).toEqual({ r: 255, g: 0, b: 0, a: 255 });
    expect(formatEncodedColour({ r: 255, g: 0, b: 0, a: 255 })).toBe(b64('red'));
    let caught: unknown;
    try {
      parseEncodedColour(at, "parameter 'fill'", b64('teal'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FopSyntaxError);
    expect((caught as Error).message).toBe(
      `demo: parameter 'fill' must be URL-safe base64 of #RGB, #RRGGBB, #RRGGBBAA or one of transparent, none, white, black, red, ` +
        `orange, yellow, green, blue, purple, gray, pink, got '${b64('teal')}' (step 1)`,
    );
  });
});
