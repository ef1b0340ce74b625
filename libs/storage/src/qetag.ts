import { createHash, Hash } from 'node:crypto';

/** Qiniu hashes data in blocks of this many bytes. */
export const qetagBlockBytes = 4 * 1024 * 1024;

const singleBlockTag = 0x16;
const multiBlockTag = 0x96;

/** Incremental qetag, so uploads are hashed while they stream instead of re-read afterwards. */
export class QetagHasher {
  private block: Hash = createHash('sha1');
  private blockFill = 0;
  private readonly blockDigests: Buffer[] = [];
  private finished = false;

  /** Feeds the next bytes. */
  update(chunk: Buffer): this {
    if (this.finished) throw new Error('QetagHasher.update after digest');
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, qetagBlockBytes - this.blockFill);
      this.block.update(chunk.subarray(offset, offset + take));
      this.blockFill += take;
      offset += take;
      if (this.blockFill === qetagBlockBytes) {
        this.blockDigests.push(this.block.digest());
        this.block = createHash('sha1');
        this.blockFill = 0;
      }
    }
    return this;
  }

  /** The qetag of everything fed so far; the hasher cannot be used afterwards. */
  digest(): string {
    if (this.finished) throw new Error('QetagHasher.digest called twice');
    this.finished = true;
    // An exact multiple of the block size has no open block; empty data still hashes one (empty) block.
    const digests =
      this.blockFill > 0 || this.blockDigests.length === 0 ? [...this.blockDigests, this.block.digest()] : this.blockDigests;
    if (digests.length === 1) return encode(singleBlockTag, digests[0]);
    return encode(multiBlockTag, createHash('sha1').update(Buffer.concat(digests)).digest());
  }
}

function encode(tag: number, sha1: Buffer): string {
  // 21 bytes encode to 28 characters with no padding, so base64url matches Qiniu's padded url-safe base64.
  return Buffer.concat([Buffer.from([tag]), sha1]).toString('base64url');
}

/** Qiniu's etag ("qetag") of a buffer, for tests and for callers that hash in memory. */
export function qetag(data: Buffer): string {
  return new QetagHasher().update(data).digest();
}
