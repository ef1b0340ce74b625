import sharp from 'sharp';

/** Size and encoding of a generated source photo. */
export interface SourceImageSpec {
  width: number;
  height: number;
  /** JPEG quality 1–100. */
  quality: number;
}

/** Spread of the grain laid over the gradient, in 8-bit levels (sharp `create` noise sigma). */
const GRAIN_SIGMA = 30;

/**
 * A JPEG that costs what a photo costs to decode. A flat colour compresses to almost nothing and
 * decodes far faster than a real picture, so a smooth diagonal gradient gets per-pixel grain on top:
 * at 12 MP and q 85 that is a few MB, the size of a phone photo.
 */
export async function realisticJpeg(spec: SourceImageSpec): Promise<Buffer> {
  const { width, height, quality } = spec;
  const grain = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: GRAIN_SIGMA } },
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return sharp(Buffer.from(gradientSvg(width, height)))
    .composite([{ input: grain, blend: 'overlay' }])
    .jpeg({ quality })
    .toBuffer();
}

function gradientSvg(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="sky" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#1e3c72"/><stop offset="0.5" stop-color="#e8a33d"/><stop offset="1" stop-color="#2a9d8f"/>
  </linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#sky)"/>
</svg>`;
}
