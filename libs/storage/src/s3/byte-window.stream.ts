import { Readable, Transform, TransformCallback } from 'node:stream';

/**
 * Passes on `take` bytes after skipping `skip`, then ends and releases the source. Guards ranged
 * reads against servers that answer more than the range asked for (some ignore Range and send
 * the whole object; s3rver reads `bytes=0-0` as "from 0 to the end").
 */
export function byteWindow(source: Readable, skip: number, take: number): Readable {
  let toSkip = skip;
  let toTake = take;
  const window = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      let part = chunk;
      if (toSkip > 0) {
        const skipped = Math.min(toSkip, part.length);
        toSkip -= skipped;
        part = part.subarray(skipped);
      }
      if (toTake > 0 && part.length > 0) {
        const taken = part.subarray(0, toTake);
        toTake -= taken.length;
        this.push(taken);
      }
      if (toTake === 0) {
        this.push(null);
        source.unpipe(window);
        source.destroy();
      }
      done();
    },
  });
  window.on('close', () => source.destroy());
  source.on('error', (error) => window.destroy(error));
  if (take === 0) {
    window.end();
    source.destroy();
    return window;
  }
  return source.pipe(window);
}
