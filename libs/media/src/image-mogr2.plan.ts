import type { CropGeometry, Gravity, ThumbnailGeometry } from '@fopflow/fop';
import { Rect, Size, anchorAt, clipToFrame } from './gravity.placement';

// Pure arithmetic of imageMogr2's geometries, so the spec's tables are tested without decoding.
// Sizes follow ImageMagick, whose geometry syntax Qiniu adopted: a computed side is rounded to
// the nearest pixel and never below 1, and the side a fit is bound by is exact.

const atLeastOne = (n: number) => Math.max(1, Math.round(n));

/** Largest size of ratio w:h inside W×H (scale = min), the bound side exact. */
function fitInside(source: Size, width: number, height: number): Size {
  const byWidth = width / source.width;
  const byHeight = height / source.height;
  return byWidth <= byHeight
    ? { width, height: atLeastOne(source.height * byWidth) }
    : { width: atLeastOne(source.width * byHeight), height };
}

/** Smallest size of ratio w:h covering W×H (scale = max), the bound side exact. */
function cover(source: Size, width: number, height: number): Size {
  const byWidth = width / source.width;
  const byHeight = height / source.height;
  return byWidth >= byHeight
    ? { width, height: atLeastOne(source.height * byWidth) }
    : { width: atLeastOne(source.width * byHeight), height };
}

/** Size of one frame after `thumbnail/<geometry>`; enlarging is allowed unless the form says otherwise. */
export function planThumbnail(source: Size, geometry: ThumbnailGeometry): Size {
  const { width: w, height: h } = source;
  switch (geometry.kind) {
    case 'scale':
      return { width: atLeastOne((w * geometry.percent) / 100), height: atLeastOne((h * geometry.percent) / 100) };
    case 'scaleWidth':
      return { width: atLeastOne((w * geometry.percent) / 100), height: h };
    case 'scaleHeight':
      return { width: w, height: atLeastOne((h * geometry.percent) / 100) };
    case 'width':
      return { width: geometry.width, height: atLeastOne((h * geometry.width) / w) };
    case 'height':
      return { width: atLeastOne((w * geometry.height) / h), height: geometry.height };
    case 'fit':
      return fitInside(source, geometry.width, geometry.height);
    case 'cover':
      return cover(source, geometry.width, geometry.height);
    case 'exact':
      return { width: geometry.width, height: geometry.height };
    case 'shrink':
      return w > geometry.width || h > geometry.height ? fitInside(source, geometry.width, geometry.height) : { ...source };
    case 'enlarge':
      // "Enlarge when smaller": only when both sides are, or the fit would shrink the other one.
      return w < geometry.width && h < geometry.height ? fitInside(source, geometry.width, geometry.height) : { ...source };
    case 'area': {
      const scale = Math.sqrt(geometry.pixels / (w * h));
      // Floor both sides so that width × height never exceeds the area.
      return { width: Math.max(1, Math.floor(w * scale)), height: Math.max(1, Math.floor(h * scale)) };
    }
  }
}

/**
 * The region `crop/<geometry>` takes from a frame of `source` size: the box is anchored at
 * `gravity`, then shifted by dx (right) and dy (down) as Qiniu documents `a`/`-` offsets, then
 * clipped to the frame. Undefined when nothing of the box lies inside the frame.
 */
export function planCrop(source: Size, crop: CropGeometry, gravity: Gravity): Rect | undefined {
  const box = { width: crop.width ?? source.width, height: crop.height ?? source.height };
  const { left, top } = anchorAt(gravity, source, box);
  return clipToFrame({ left: left + crop.dx, top: top + crop.dy, ...box }, source);
}

/** Bounding size of a frame rotated clockwise by `degrees` (exact for right angles). */
export function rotatedSize(source: Size, degrees: number): Size {
  const turn = ((degrees % 360) + 360) % 360;
  if (turn === 0 || turn === 180) return { ...source };
  if (turn === 90 || turn === 270) return { width: source.height, height: source.width };
  const radians = (turn * Math.PI) / 180;
  const cos = Math.abs(Math.cos(radians));
  const sin = Math.abs(Math.sin(radians));
  return {
    width: Math.ceil(source.width * cos + source.height * sin),
    height: Math.ceil(source.width * sin + source.height * cos),
  };
}
