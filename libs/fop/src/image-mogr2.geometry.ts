import { StepAt, quoteToken, stepError } from './params';

/** Largest width or height a geometry may name, in pixels (Qiniu's output bound). */
export const maxGeometryEdgePx = 9999;
/** Largest percentage of `!<P>p`, `!<P>px`, `!x<P>p` (Qiniu: 1–999). */
export const maxGeometryPercent = 999;
/** Largest `<Area>@`, in pixels: no result may exceed 25 MP anyway. */
export const maxGeometryAreaPx = 25_000_000;
/** Largest crop offset, in pixels; sources may be far wider than any result. */
export const maxCropOffsetPx = 99_999;

/**
 * A parsed `thumbnail/<geometry>` (ImageMagick's resize geometry as Qiniu spells it in URLs).
 * Only `fit`, `cover` and `area` keep the aspect ratio in both directions; see each kind.
 */
export type ThumbnailGeometry =
  /** `!<P>p`: both sides scaled by P %. */
  | { kind: 'scale'; percent: number }
  /** `!<P>px`: width scaled by P %, height unchanged. */
  | { kind: 'scaleWidth'; percent: number }
  /** `!x<P>p`: height scaled by P %, width unchanged. */
  | { kind: 'scaleHeight'; percent: number }
  /** `<W>x`: width W, height in proportion (enlarges too). */
  | { kind: 'width'; width: number }
  /** `x<H>`: height H, width in proportion. */
  | { kind: 'height'; height: number }
  /** `<W>x<H>`: largest size inside W×H, keeping the ratio. */
  | { kind: 'fit'; width: number; height: number }
  /** `!<W>x<H>r`: smallest size covering W×H, keeping the ratio. */
  | { kind: 'cover'; width: number; height: number }
  /** `<W>x<H>!`: exactly W×H, ignoring the ratio. */
  | { kind: 'exact'; width: number; height: number }
  /** `<W>x<H>>`: as fit, but only when the source is larger than W×H. */
  | { kind: 'shrink'; width: number; height: number }
  /** `<W>x<H><`: as fit, but only when the source is smaller than W×H on both sides. */
  | { kind: 'enlarge'; width: number; height: number }
  /** `<Area>@`: scaled so that width × height ≤ Area, keeping the ratio. */
  | { kind: 'area'; pixels: number };

/** A parsed `crop/<geometry>`: a size (either side may be open: the whole side) and an offset. */
export interface CropGeometry {
  /** Width in px; absent means the whole width (`x<H>`). */
  width?: number;
  /** Height in px; absent means the whole height (`<W>x`). */
  height?: number;
  /** Shift right (negative: left) from the gravity anchor, in px. */
  dx: number;
  /** Shift down (negative: up) from the gravity anchor, in px. */
  dy: number;
}

/** The documented thumbnail forms, for messages. */
export const thumbnailForms = '!<P>p, !<P>px, !x<P>p, <W>x, x<H>, <W>x<H>, !<W>x<H>r, <W>x<H>!, <W>x<H>>, <W>x<H><, <Area>@';
/** The documented crop forms, for messages. */
export const cropForms = '<W>x, x<H>, <W>x<H>, !<W>x<H>a<dx>a<dy> (- instead of a subtracts)';

// Qiniu's URL escapes stand for characters a URL would otherwise have to percent-encode:
// p = %, r = ^, a = +. A client that percent-encoded the literal character sends that instead.
function unescapeLiterals(token: string): string {
  return token.replace(/%/g, 'p').replace(/\^/g, 'r').replace(/\+/g, 'a');
}

const thumbnailPatterns: readonly [RegExp, (n: number[]) => ThumbnailGeometry, readonly Quantity[]][] = [
  [/^!([0-9]+)p$/, ([percent]) => ({ kind: 'scale', percent }), ['percentage']],
  [/^!([0-9]+)px$/, ([percent]) => ({ kind: 'scaleWidth', percent }), ['percentage']],
  [/^!x([0-9]+)p$/, ([percent]) => ({ kind: 'scaleHeight', percent }), ['percentage']],
  [/^([0-9]+)x$/, ([width]) => ({ kind: 'width', width }), ['width']],
  [/^x([0-9]+)$/, ([height]) => ({ kind: 'height', height }), ['height']],
  [/^([0-9]+)x([0-9]+)$/, ([width, height]) => ({ kind: 'fit', width, height }), ['width', 'height']],
  [/^!([0-9]+)x([0-9]+)r$/, ([width, height]) => ({ kind: 'cover', width, height }), ['width', 'height']],
  [/^([0-9]+)x([0-9]+)!$/, ([width, height]) => ({ kind: 'exact', width, height }), ['width', 'height']],
  [/^([0-9]+)x([0-9]+)>$/, ([width, height]) => ({ kind: 'shrink', width, height }), ['width', 'height']],
  [/^([0-9]+)x([0-9]+)<$/, ([width, height]) => ({ kind: 'enlarge', width, height }), ['width', 'height']],
  [/^([0-9]+)@$/, ([pixels]) => ({ kind: 'area', pixels }), ['area']],
];

type Quantity = 'percentage' | 'width' | 'height' | 'area' | 'x offset' | 'y offset';

const quantityRange: Record<Quantity, [number, number]> = {
  percentage: [1, maxGeometryPercent],
  width: [1, maxGeometryEdgePx],
  height: [1, maxGeometryEdgePx],
  area: [1, maxGeometryAreaPx],
  'x offset': [0, maxCropOffsetPx],
  'y offset': [0, maxCropOffsetPx],
};

function checkedNumbers(at: StepAt, label: string, token: string, digits: string[], quantities: readonly Quantity[]): number[] {
  return digits.map((text, i) => {
    const [min, max] = quantityRange[quantities[i]];
    const value = Number(text);
    if (value < min || value > max) {
      throw stepError(
        at,
        `${label} ${quantities[i]} must be an integer from ${min} to ${max}, got ${quoteToken(token)}`,
        token,
      );
    }
    return value;
  });
}

/** Parses a thumbnail geometry; throws a FopSyntaxError naming the form or the number that is wrong. */
export function parseThumbnailGeometry(at: StepAt, label: string, token: string): ThumbnailGeometry {
  const text = unescapeLiterals(token);
  for (const [pattern, build, quantities] of thumbnailPatterns) {
    const match = pattern.exec(text);
    if (match) return build(checkedNumbers(at, label, token, match.slice(1), quantities));
  }
  throw stepError(at, `${label} must be one of ${thumbnailForms}, got ${quoteToken(token)}`, token);
}

/** Canonical text of a thumbnail geometry, with Qiniu's URL escapes (p, r) rather than % and ^. */
export function formatThumbnailGeometry(geometry: ThumbnailGeometry): string {
  switch (geometry.kind) {
    case 'scale':
      return `!${geometry.percent}p`;
    case 'scaleWidth':
      return `!${geometry.percent}px`;
    case 'scaleHeight':
      return `!x${geometry.percent}p`;
    case 'width':
      return `${geometry.width}x`;
    case 'height':
      return `x${geometry.height}`;
    case 'fit':
      return `${geometry.width}x${geometry.height}`;
    case 'cover':
      return `!${geometry.width}x${geometry.height}r`;
    case 'exact':
      return `${geometry.width}x${geometry.height}!`;
    case 'shrink':
      return `${geometry.width}x${geometry.height}>`;
    case 'enlarge':
      return `${geometry.width}x${geometry.height}<`;
    case 'area':
      return `${geometry.pixels}@`;
  }
}

/** True when the geometry leaves every source unchanged (`!100p` and friends), so it can be dropped. */
export function isIdentityThumbnail(geometry: ThumbnailGeometry): boolean {
  return (
    (geometry.kind === 'scale' || geometry.kind === 'scaleWidth' || geometry.kind === 'scaleHeight') &&
    geometry.percent === 100
  );
}

const cropSize = /^([0-9]*)x([0-9]*)$/;
const cropWithOffset = /^!([0-9]*)x([0-9]*)([a-])([0-9]+)([a-])([0-9]+)$/;

/** Parses a crop geometry; `!` and the offsets come together, as in Qiniu's `!300x400a10a10`. */
export function parseCropGeometry(at: StepAt, label: string, token: string): CropGeometry {
  const text = unescapeLiterals(token);
  const plain = cropSize.exec(text);
  const offset = plain ? undefined : cropWithOffset.exec(text);
  const match = plain ?? offset;
  if (!match || (match[1] === '' && match[2] === '')) {
    throw stepError(at, `${label} must be one of ${cropForms}, got ${quoteToken(token)}`, token);
  }
  const crop: CropGeometry = { dx: 0, dy: 0 };
  if (match[1] !== '') [crop.width] = checkedNumbers(at, label, token, [match[1]], ['width']);
  if (match[2] !== '') [crop.height] = checkedNumbers(at, label, token, [match[2]], ['height']);
  if (offset) {
    const [dx, dy] = checkedNumbers(at, label, token, [offset[4], offset[6]], ['x offset', 'y offset']);
    // `-0` and `a0` are the same shift; normalise so equal meanings give deep-equal args.
    crop.dx = offset[3] === '-' && dx !== 0 ? -dx : dx;
    crop.dy = offset[5] === '-' && dy !== 0 ? -dy : dy;
  }
  return crop;
}

/** Canonical text of a crop geometry; a zero offset is written without one. */
export function formatCropGeometry(crop: CropGeometry): string {
  const size = `${crop.width ?? ''}x${crop.height ?? ''}`;
  if (crop.dx === 0 && crop.dy === 0) return size;
  const signed = (n: number) => (n < 0 ? `-${-n}` : `a${n}`);
  return `!${size}${signed(crop.dx)}${signed(crop.dy)}`;
}
