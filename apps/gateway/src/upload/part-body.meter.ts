import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { GatewayError } from '../http/error.filter';

/**
 * Counts and hashes a part's bytes on their way to a store: its etag is their MD5, and it fails
 * with 413 once they pass `maxBytes`, so an oversized part stops while it streams.
 */
export class PartBodyMeter {
  readonly transform: Transform;
  private readonly md5 = createHash('md5');
  private bytes = 0;

  constructor(
    private readonly partNumber: number,
    maxBytes: number,
  ) {
    this.transform = new Transform({
      transform: (chunk: Buffer, _, done) => {
        this.bytes += chunk.length;
        if (this.bytes > maxBytes) return done(new GatewayError(413, `part of more than ${maxBytes} bytes`));
        this.md5.update(chunk);
        done(null, chunk);
      },
    });
  }

  /** The part's etag and size once all of it went through; 400 when the client's Content-MD5 (hex or base64) says otherwise. */
  finish(contentMd5?: string): { etag: string; size: number } {
    const digest = this.md5.digest();
    if (contentMd5 && contentMd5 !== digest.toString('hex') && contentMd5 !== digest.toString('base64')) {
      throw new GatewayError(400, `Content-MD5 of part ${this.partNumber} does not match its bytes`);
    }
    return { etag: digest.toString('hex'), size: this.bytes };
  }

  /** What the client is told when the body failed: the meter's own verdict, or that the body was cut short. */
  bodyFailure(error: unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    return new GatewayError(400, `part ${this.partNumber} ended early: ${(error as Error).message}`);
  }
}
