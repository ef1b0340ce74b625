import { StorageError } from './storage.errors';
import { assertBucketName, assertObjectKey } from './storage-names.validator';

function errorOf(fn: () => void): StorageError {
  try {
    fn();
  } catch (error) {
    return error as StorageError;
  }
  throw new Error('expected a StorageError');
}

describe('bucket names', () => {
  it.each(['abc', 'photos-2024', 'a1b', '0ab', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(() => assertBucketName(name)).not.toThrow();
  });

  it.each([
    ['ab', '3-63 characters'],
    ['a'.repeat(64), '3-63 characters'],
    ['Photos', 'a-z, 0-9'],
    ['-abc', 'start and end'],
    ['abc-', 'start and end'],
    ['a_b', 'a-z, 0-9'],
    ['a.b', 'a-z, 0-9'],
    ['admin', 'reserved'],
    ['metrics', 'reserved'],
    ['pfop', 'reserved'],
  ])('rejects %s naming why', (name, why) => {
    const error = errorOf(() => assertBucketName(name));
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ status: 400, code: 'InvalidBucketName' });
    expect(error.message).toContain(why);
  });

  it('rejects non-strings', () => {
    expect(errorOf(() => assertBucketName(undefined)).code).toBe('InvalidBucketName');
  });
});

describe('object keys', () => {
  it.each(['a', 'a/b', 'a/b/', 'a//b', '..a/b..', 'dir/.hidden', '照片/猫.jpg', '😀', 'x'.repeat(1024), 'é'.repeat(512)])(
    'accepts %s',
    (key) => expect(() => assertObjectKey(key)).not.toThrow(),
  );

  it.each([
    ['', 'empty'],
    ['x'.repeat(1025), '1025 UTF-8 bytes'],
    ['é'.repeat(513), '1026 UTF-8 bytes'],
    ['a\u0000b', 'control'],
    ['a\nb', 'control'],
    ['a\u007fb', 'control'],
    ['/a', "start with '/'"],
    ['.', "'.' or '..'"],
    ['..', "'.' or '..'"],
    ['a/../b', "'.' or '..'"],
    ['a/./b', "'.' or '..'"],
    ['a/..', "'.' or '..'"],
    ['bad\ud800', 'well-formed'],
  ])('rejects %j naming the rule', (key, rule) => {
    const error = errorOf(() => assertObjectKey(key));
    expect(error).toMatchObject({ status: 400, code: 'InvalidKey' });
    expect(error.message).toContain(rule);
  });
});
