import { isPm3u8, parsePm3u8 } from './pm3u8.params';

// Qiniu's pm3u8 page (dora/manual/1292): mode 0 only; expires in s; deadline (Unix s) wins over it.
describe('pm3u8', () => {
  it('is recognised by its name only', () => {
    expect(isPm3u8('pm3u8/0/expires/60')).toBe(true);
    expect(isPm3u8('pm3u8')).toBe(true);
    expect(isPm3u8('pm3u8x/0')).toBe(false);
    expect(isPm3u8('avthumb/m3u8')).toBe(false);
  });

  it('reads expires, or deadline over it, with an hour by default', () => {
    expect(parsePm3u8('pm3u8/0/expires/43200')).toEqual({ expiresS: 43200 });
    expect(parsePm3u8('pm3u8/0/expires/60/deadline/1900000000')).toEqual({ deadlineS: 1_900_000_000 });
    expect(parsePm3u8('pm3u8/0')).toEqual({ expiresS: 3600 });
  });

  it.each([
    ['pm3u8', 'pm3u8: mode (0) is required as the first value (step 1)'],
    ['pm3u8/1', "pm3u8: mode must be 0, got '1' (step 1)"],
    ['pm3u8/0/expires/0', "pm3u8: parameter 'expires' must be an integer from 1 to 604800, got '0' (step 1)"],
    ['pm3u8/0/ttl/5', "pm3u8: unknown parameter 'ttl'; expected one of expires, deadline (step 1)"],
    ['pm3u8/0|avinfo', 'pm3u8: reads a stored playlist and takes no further steps'],
  ])('%p is refused', (text, message) => {
    expect(() => parsePm3u8(text)).toThrow(message);
  });
});
