import { qetag } from '@fopflow/storage';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSaveasKey } from './saveas-default-key';

// Qiniu's default key for a bucket-only saveas is the result's qetag: the same name for the bytes
// in memory and for the file ffmpeg wrote, over the 4 MiB block boundary too.
describe('defaultSaveasKey (Qiniu names a keyless result by its qetag)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-saveas-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a small result', 1000],
    ['a result of two qetag blocks', 5 * 1024 * 1024 + 3],
  ])('names %s the same from bytes and from its file', async (_, size) => {
    const data = randomBytes(size);
    const file = join(dir, `result-${size}`);
    writeFileSync(file, data);
    expect(await defaultSaveasKey(data)).toBe(qetag(data));
    expect(await defaultSaveasKey({ file })).toBe(qetag(data));
    expect(qetag(data)).toMatch(/^[A-Za-z0-9_-]{28}$/);
  });
});
