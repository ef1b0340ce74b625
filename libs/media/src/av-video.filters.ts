import type { Gravity } from '@fopflow/fop';

/** Distance of a watermark from the frame's edges, in px (Qiniu's image watermark default dx/dy). */
export const watermarkMarginPx = 10;

/** Clockwise quarter turns as ffmpeg filters. */
export function rotateFilter(degrees: 90 | 180 | 270): string {
  return degrees === 90 ? 'transpose=clock' : degrees === 180 ? 'hflip,vflip' : 'transpose=cclock';
}

/**
 * 4:2:0 video (what every player decodes) needs even sides; libx264 refuses odd ones outright.
 * Rounds down by at most one pixel, and is a no-op on frames that are already even.
 */
export const evenSizeFilter = 'scale=trunc(iw/2)*2:trunc(ih/2)*2';

/**
 * x/y expressions placing a box of size (boxW, boxH) in a frame of (frameW, frameH) at a gravity.
 * Variable names differ per filter: drawtext's are w/h and tw/th.
 */
export function gravityPosition(gravity: Gravity, names: { frameW: string; frameH: string; boxW: string; boxH: string }): string {
  const m = watermarkMarginPx;
  const { frameW, frameH, boxW, boxH } = names;
  const x = gravity.endsWith('West') ? `${m}` : gravity.endsWith('East') ? `${frameW}-${boxW}-${m}` : `(${frameW}-${boxW})/2`;
  const y = gravity.startsWith('North') ? `${m}` : gravity.startsWith('South') ? `${frameH}-${boxH}-${m}` : `(${frameH}-${boxH})/2`;
  return `x=${x}:y=${y}`;
}

/** drawtext's position for a text watermark. */
export function textPosition(gravity: Gravity): string {
  return gravityPosition(gravity, { frameW: 'w', frameH: 'h', boxW: 'tw', boxH: 'th' });
}
