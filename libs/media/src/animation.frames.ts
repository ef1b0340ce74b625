import type { Colour } from '@fopflow/fop';
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { Rect } from './gravity.placement';

// libvips holds an animation as one tall image, its frames stacked ("toilet roll") with a page
// height. Resize and extract already work frame by frame; rotation by other than 180° and
// compositing do not, so these helpers apply them to each frame.

const rgba = (c: Colour) => ({ r: c.r, g: c.g, b: c.b, alpha: c.a / 255 });

/** Rotates every frame of an animated pipeline by `degrees` clockwise; answers a pipeline of the result. */
export async function rotateEachFrame(image: Sharp, degrees: number, background: Colour): Promise<Sharp> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const frames = Math.max(1, info.pages ?? 1);
  const pageHeight = info.pageHeight ?? info.height / frames;
  const frameBytes = info.width * pageHeight * info.channels;
  const rotated = await Promise.all(
    Array.from({ length: frames }, (_, f) =>
      sharp(data.subarray(f * frameBytes, (f + 1) * frameBytes), {
        raw: { width: info.width, height: pageHeight, channels: info.channels, premultiplied: info.premultiplied },
      })
        .rotate(degrees, { background: rgba(background) })
        .raw()
        .toBuffer({ resolveWithObject: true }),
    ),
  );
  const first = rotated[0].info;
  return sharp(Buffer.concat(rotated.map((frame) => frame.data)), {
    raw: {
      width: first.width,
      height: first.height * frames,
      channels: first.channels,
      pageHeight: first.height,
      premultiplied: first.premultiplied,
    },
  });
}

/** One overlay to draw on every frame, already clipped to the frame. */
export interface FrameOverlay {
  input: Buffer;
  at: Rect;
}

/** Composite entries drawing each overlay on each of `frames` frames stacked `pageHeight` apart. */
export function overlaysOnEveryFrame(overlays: readonly FrameOverlay[], frames: number, pageHeight: number): OverlayOptions[] {
  const entries: OverlayOptions[] = [];
  for (let f = 0; f < frames; f++) {
    for (const { input, at } of overlays) entries.push({ input, left: at.left, top: at.top + f * pageHeight });
  }
  return entries;
}
