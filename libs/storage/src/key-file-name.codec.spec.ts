import { fileNameToKey, isHashedFileName, keyToFileName, maxFileNameBytes } from './key-file-name.codec';

describe('key file names', () => {
  it.each(['a', 'a/b', 'a/b/', 'photo.jpg', '..a', '.hidden', 'x*y?z', '100%', '照片/猫.jpg', '😀 ok', "it's (1)", 'A~B'])(
    'round-trips %j through a safe flat name',
    (key) => {
      const name = keyToFileName(key);
      expect(name).toMatch(/^[A-Za-z0-9%_.-]+$/);
      expect(name.startsWith('.')).toBe(false);
      expect(fileNameToKey(name)).toBe(key);
    },
  );

  it('keeps a and a/b apart', () => {
    expect(keyToFileName('a')).not.toBe(keyToFileName('a/b'));
    expect(keyToFileName('a/b')).not.toContain('/');
  });

  it('hashes names that would be too long, and only those', () => {
    const long = '猫'.repeat(100); // 300 UTF-8 bytes, 900 encoded
    const name = keyToFileName(long);
    expect(isHashedFileName(name)).toBe(true);
    expect(name.length).toBeLessThanOrEqual(maxFileNameBytes);
    expect(fileNameToKey(name)).toBeUndefined();
    expect(keyToFileName('x'.repeat(255))).toBe('x'.repeat(255));
    expect(isHashedFileName(keyToFileName('x'.repeat(256)))).toBe(true);
    expect(keyToFileName('x'.repeat(1024))).not.toBe(keyToFileName(`${'x'.repeat(1023)}y`));
  });

  it('ignores names it never produces', () => {
    expect(fileNameToKey('a%2fb')).toBeUndefined(); // lower-case escape
    expect(fileNameToKey('%E0%A4')).toBeUndefined(); // broken UTF-8
    expect(fileNameToKey('a b')).toBeUndefined();
  });
});
