import type { ImageView2Args } from '@fopflow/fop';

/** Size to resize to, and the centred crop to take from it, if any. */
export interface ThumbnailPlan {
  width: number;
  height: number;
  crop?: { width: number; height: number };
}

/**
 * Qiniu's imageView2 geometry: modes 0/4/5 bound the long and short edge, modes 1/2/3 the width
 * and height; 0/2 fit inside, 1/3/4/5 cover; 1/5 then centre-crop. The result never enlarges
 * the source. Pure arithmetic, so the table of the spec is tested without decoding anything.
 */
export function planImageView2(source: { width: number; height: number }, args: ImageView2Args): ThumbnailPlan {
  const { width: sw, height: sh } = source;
  const long = Math.max(sw, sh);
  const short = Math.min(sw, sh);
  const { mode } = args;
  let scale: number;
  let box: { width: number; height: number } | undefined;

  if (mode === 0) {
    // w alone bounds the long edge, h alone the short edge.
    scale = Math.min(args.w ? args.w / long : Infinity, args.h ? args.h / short : Infinity);
  } else if (mode === 2) {
    scale = Math.min(args.w ? args.w / sw : Infinity, args.h ? args.h / sh : Infinity);
  } else if (mode === 1 || mode === 3) {
    // One of w/h alone means a square bound of that size.
    const w = args.w ?? args.h!;
    const h = args.h ?? args.w!;
    scale = Math.max(w / sw, h / sh);
    if (mode === 1) box = { width: w, height: h };
  } else {
    const longEdge = args.w ?? args.h!;
    const shortEdge = args.h ?? args.w!;
    scale = Math.max(longEdge / long, shortEdge / short);
    if (mode === 5) box = sw >= sh ? { width: longEdge, height: shortEdge } : { width: shortEdge, height: longEdge };
  }

  scale = Math.min(scale, 1);
  const width = Math.max(1, Math.round(sw * scale));
  const height = Math.max(1, Math.round(sh * scale));
  if (!box) return { width, height };
  const crop = { width: Math.min(box.width, width), height: Math.min(box.height, height) };
  return crop.width === width && crop.height === height ? { width, height } : { width, height, crop };
}
