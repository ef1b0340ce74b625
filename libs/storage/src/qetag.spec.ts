import { createHash } from 'node:crypto';
import { qetag, qetagBlockBytes, QetagHasher } from './qetag';

/** Independent reference: whole blocks sliced up front, standard base64 made url-safe by hand. */
function referenceQetag(data: Buffer): string {
  const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest();
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 4194304) blocks.push(data.subarray(offset, offset + 4194304));
  const body =
    blocks.length <= 1
      ? Buffer.concat([Buffer.from([0x16]), sha1(data)])
      : Buffer.concat([Buffer.from([0x96]), sha1(Buffer.concat(blocks.map(sha1)))]);
  return body.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function patterned(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  return data;
}

describe('qetag', () => {
  it('matches Qiniu for empty data', () => {
    expect(qetag(Buffer.alloc(0))).toBe('Fto5o-5ea0sNMlW_75VgGJCv2AcJ');
  });

  it('uses the single-block form up to exactly one block', () => {
    expect(qetag(Buffer.from('hello'))).toBe(referenceQetag(Buffer.from('hello')));
    const oneBlock = patterned(qetagBlockBytes);
    expect(qetag(oneBlock).startsWith('F')).toBe(true);
    expect(qetag(oneBlock)).toBe(referenceQetag(oneBlock));
  });

  it('uses the block-of-hashes form past 4 MiB', () => {
    const data = patterned(qetagBlockBytes * 2 + 12345);
    const tag = qetag(data);
    expect(tag).toBe(referenceQetag(data));
    expect(tag.startsWith('l')).toBe(true);
    expect(tag).toHaveLength(28);
  });

  it('gives the same answer however the data is chunked', () => {
    const data = patterned(qetagBlockBytes + 777);
    const hasher = new QetagHasher();
    for (let offset = 0; offset < data.length; offset += 65537) hasher.update(data.subarray(offset, offset + 65537));
    expect(hasher.digest()).toBe(qetag(data));
  });

  it('refuses reuse after digest', () => {
    const hasher = new QetagHasher();
    hasher.digest();
    expect(() => hasher.update(Buffer.from('x'))).toThrow();
    expect(() => hasher.digest()).toThrow();
  });
});
