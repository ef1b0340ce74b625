import { HotResultIndex } from './hot-result-index';

const body = (bytes: number) => Buffer.alloc(bytes, 1);

describe('HotResultIndex', () => {
  it('answers what was set and marks it used, once, for the shared order', () => {
    const index = new HotResultIndex();
    index.set('a', { mime: 'image/jpeg', size: 3, body: body(3) });
    expect(index.get('a')).toMatchObject({ mime: 'image/jpeg', size: 3, body: body(3) });
    expect(index.get('b')).toBeUndefined();
    expect(index.takeUsed()).toEqual(['a']);
    expect(index.takeUsed()).toEqual([]);
  });

  it('holds a body only up to bodyMaxBytes; a larger result is indexed without it', () => {
    const index = new HotResultIndex({ bodyMaxBytes: 10 });
    index.set('small', { mime: 'image/png', size: 10, body: body(10) });
    index.set('large', { mime: 'image/png', size: 11, body: body(11) });
    expect(index.get('small')?.body?.length).toBe(10);
    expect(index.get('large')).toEqual({ mime: 'image/png', size: 11 });
    expect(index.holdsBody(11)).toBe(false);
  });

  it('drops the least recently used entry past maxEntries', () => {
    const index = new HotResultIndex({ maxEntries: 2 });
    index.set('a', { mime: 'x', size: 1 });
    index.set('b', { mime: 'x', size: 1 });
    index.get('a');
    index.set('c', { mime: 'x', size: 1 });
    expect(index.get('b')).toBeUndefined();
    expect(index.get('a')).toBeDefined();
    expect(index.get('c')).toBeDefined();
    expect(index.stats.entries).toBe(2);
  });

  it('drops the least recently used bodies past maxBytes and keeps the byte count exact', () => {
    const index = new HotResultIndex({ maxBytes: 3000, bodyMaxBytes: 1000 });
    for (const key of ['a', 'b', 'c']) index.set(key, { mime: 'x', size: 1000, body: body(1000) });
    // 3 × (1000 + 256) > 3000: the oldest went.
    expect(index.get('a')).toBeUndefined();
    expect(index.stats).toEqual({ entries: 2, bytes: 2 * 1256 });
    index.set('b', { mime: 'x', size: 1000, body: body(1000) });
    index.delete('c');
    expect(index.stats).toEqual({ entries: 1, bytes: 1256 });
    index.delete('never-set');
    expect(index.stats.entries).toBe(1);
  });

  it('never holds a body larger than the whole bound', () => {
    const index = new HotResultIndex({ maxBytes: 500, bodyMaxBytes: 10_000 });
    index.set('a', { mime: 'x', size: 600, body: body(600) });
    expect(index.get('a')).toEqual({ mime: 'x', size: 600 });
  });
});
