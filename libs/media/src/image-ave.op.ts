import type { MediaOutput } from './image.encoder';
import type { ImageLimits } from './image-limits';
import type { ImageInput } from './image.input';
import { decodeImage, decoding } from './image.source';
import { inMemoryRun } from './step-run';

const hex2 = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/**
 * Runs `imageAve`: the mean sRGB colour of the first frame as `{"RGB":"0xrrggbb"}`. Pixels are
 * weighted by their alpha, so the transparent background of a logo does not darken its average;
 * a fully transparent image averages its colour channels plainly.
 */
export async function runImageAve(input: ImageInput, limits: ImageLimits): Promise<MediaOutput> {
  const source = await input.probe();
  const { data, info } = await decoding('source image', () =>
    decodeImage(source, limits, false).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  );
  const sums = [0, 0, 0];
  const plain = [0, 0, 0];
  let weight = 0;
  for (let p = 0; p < data.length; p += info.channels) {
    const alpha = data[p + 3];
    for (let c = 0; c < 3; c++) {
      sums[c] += data[p + c] * alpha;
      plain[c] += data[p + c];
    }
    weight += alpha;
  }
  const pixels = data.length / info.channels;
  const mean = weight > 0 ? sums.map((sum) => sum / weight) : plain.map((sum) => sum / pixels);
  return { data: Buffer.from(JSON.stringify({ RGB: `0x${mean.map(hex2).join('')}` })), mime: 'application/json' };
}

/** `imageAve` as the plan executor runs it. */
export const imageAveRun = inMemoryRun('imageAve', (input, _args, limits) => runImageAve(input, limits));
