import { objectSetMemberKey } from './object-set.keys';

// The documented key rule of a set's members (object-set.keys.ts, README "Sets of objects").
describe('objectSetMemberKey', () => {
  it('numbers members from 000000 after the target key without its extension', () => {
    expect(objectSetMemberKey('video/a.m3u8', 0, 'ts')).toBe('video/a-000000.ts');
    expect(objectSetMemberKey('video/a.m3u8', 12, 'ts')).toBe('video/a-000012.ts');
    expect(objectSetMemberKey('thumbs/index.json', 3, 'jpg')).toBe('thumbs/index-000003.jpg');
  });

  it('keeps a key without an extension, or whose only dot starts its last part', () => {
    expect(objectSetMemberKey('fop/z0.abc/0', 1, 'ts')).toBe('fop/z0.abc/0-000001.ts');
    expect(objectSetMemberKey('dir/.hidden', 1, 'jpg')).toBe('dir/.hidden-000001.jpg');
  });

  it('replaces every $(count) of a pattern', () => {
    expect(objectSetMemberKey('a.m3u8', 7, 'ts', 'seg/$(count)/part-$(count).ts')).toBe('seg/000007/part-000007.ts');
  });
});
