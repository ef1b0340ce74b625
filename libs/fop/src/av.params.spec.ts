import { thrownSyntaxError } from './testing/syntax-error.expect';
import { formatBitrate, formatSeconds, parseAspectRatio, parseBitrate, parseMilliseconds, parsePixelSize } from './av.params';

const at = { command: 'demo', stepIndex: 2 };

const thrown = (run: () => unknown) => thrownSyntaxError(run);

describe('bitrates', () => {
  it.each([
    ['96000', 96_000],
    ['96k', 96_000],
    ['96K', 96_000],
    ['1.25m', 1_250_000],
    ['1.250M', 1_250_000],
    ['0.5k', 500],
    ['007k', 7000],
  ])('reads %p as %p bps', (token, bps) => {
    expect(parseBitrate(at, 'x', token, 1, 1e9)).toBe(bps);
  });

  it.each(['1.5', '0.0005k', 'k', '1kk', '1.k', '.5k', '1,5m', '12 k', '1e3', '9999999999999m'])('refuses %p', (token) => {
    expect(thrown(() => parseBitrate(at, 'x', token, 1, 1e9)).token).toBe(token);
  });

  it('writes the shortest spelling, k on ties', () => {
    expect([96_000, 1_000_000, 1_500_000, 800_000, 1234, 12_345_678].map(formatBitrate)).toEqual(['96k', '1m', '1.5m', '800k', '1234', '12345678']);
  });
});

describe('seconds', () => {
  it('reads up to milliseconds and writes without trailing zeros', () => {
    expect(parseMilliseconds(at, 'x', '3.345', 0, 1e9)).toBe(3345);
    expect(parseMilliseconds(at, 'x', '03.50', 0, 1e9)).toBe(3500);
    expect([3345, 3500, 3000, 0, 1].map(formatSeconds)).toEqual(['3.345', '3.5', '3', '0', '0.001']);
  });

  it.each(['1.2345', '-1', '1.', '.5', '1e2', '00:01', '9999999999'])('refuses %p', (token) => {
    expect(thrown(() => parseMilliseconds(at, 'x', token, 0, 86_400_000)).message).toBe(
      `demo: x must be seconds from 0 to 86400 with at most 3 decimals, got '${token}' (step 2)`,
    );
  });
});

describe('sizes and ratios', () => {
  it('reads WxH within both ranges', () => {
    expect(parsePixelSize(at, 'x', '640x360', [20, 3840], [20, 2160])).toEqual({ width: 640, height: 360 });
    expect(thrown(() => parsePixelSize(at, 'x', '640X360', [20, 3840], [20, 2160])).token).toBe('640X360');
  });

  it('reduces ratios to lowest terms', () => {
    expect(parseAspectRatio(at, 'x', '1920:1080')).toEqual({ width: 16, height: 9 });
    expect(parseAspectRatio(at, 'x', '7:5')).toEqual({ width: 7, height: 5 });
  });
});
