import { normaliseListLimit, pageKeys, sortKeys } from './object-list.pager';

const page = (keys: string[], options: Partial<Parameters<typeof pageKeys>[1]>) =>
  pageKeys(sortKeys(keys), { prefix: '', marker: '', limit: 1000, delimiter: '', ...options });

describe('object list pager', () => {
  it('sorts by UTF-8 bytes, not UTF-16 units', () => {
    // In UTF-16 U+FF5E (0xFF5E) sorts after U+1F600 (0xD83D...); in UTF-8, as S3 lists, it comes first.
    expect(sortKeys(['\u{1F600}', '\uFF5E', 'b', 'B', 'a/b', 'a'])).toEqual(['B', 'a', 'a/b', 'b', '\uFF5E', '\u{1F600}']);
  });

  it('filters by prefix and pages with an exclusive marker', () => {
    const keys = ['img/1', 'img/2', 'img/3', 'txt/1'];
    const first = page(keys, { prefix: 'img/', limit: 2 });
    expect(first).toEqual({ keys: ['img/1', 'img/2'], commonPrefixes: [], nextMarker: 'img/2' });
    const second = page(keys, { prefix: 'img/', limit: 2, marker: first.nextMarker });
    expect(second).toEqual({ keys: ['img/3'], commonPrefixes: [] });
  });

  it('has no next marker when the page ends exactly at the last key', () => {
    expect(page(['a', 'b'], { limit: 2 }).nextMarker).toBeUndefined();
  });

  it('rolls keys up to the delimiter into common prefixes, each counting once', () => {
    const keys = ['a', 'a/b', 'a/c/d', 'b/x', 'b/y', 'c', 'd/z'];
    expect(page(keys, { delimiter: '/' })).toEqual({ keys: ['a', 'c'], commonPrefixes: ['a/', 'b/', 'd/'] });
    expect(page(keys, { delimiter: '/', prefix: 'a/' })).toEqual({ keys: ['a/b'], commonPrefixes: ['a/c/'] });

    const first = page(keys, { delimiter: '/', limit: 2 });
    expect(first).toEqual({ keys: ['a'], commonPrefixes: ['a/'], nextMarker: 'a/' });
    const second = page(keys, { delimiter: '/', limit: 2, marker: first.nextMarker });
    expect(second).toEqual({ keys: ['c'], commonPrefixes: ['b/'], nextMarker: 'c' });
    const third = page(keys, { delimiter: '/', limit: 2, marker: second.nextMarker });
    expect(third).toEqual({ keys: [], commonPrefixes: ['d/'] });
  });

  it('clamps the limit into 1..1000', () => {
    expect(normaliseListLimit(undefined)).toBe(1000);
    expect(normaliseListLimit(0)).toBe(1000);
    expect(normaliseListLimit(Number.NaN)).toBe(1000);
    expect(normaliseListLimit(5000)).toBe(1000);
    expect(normaliseListLimit(2.7)).toBe(2);
  });
});
