import type { Gravity } from '@fopflow/fop';

/** Width and height in pixels. */
export interface Size {
  width: number;
  height: number;
}

/** A rectangle in pixels; left/top may be negative or reach past the frame until clipped. */
export interface Rect extends Size {
  left: number;
  top: number;
}

/** Column (0 west, 1 centre, 2 east) and row (0 north, 1 centre, 2 south) of each anchor. */
const anchorCell: Record<Gravity, [number, number]> = {
  NorthWest: [0, 0],
  North: [1, 0],
  NorthEast: [2, 0],
  West: [0, 1],
  Center: [1, 1],
  East: [2, 1],
  SouthWest: [0, 2],
  South: [1, 2],
  SouthEast: [2, 2],
};

/**
 * Where a box of `inner` size sits in `outer` at `gravity`, before any offset: flush with the
 * anchored edges, centred (rounded down) along a centre row or column.
 */
export function anchorAt(gravity: Gravity, outer: Size, inner: Size): { left: number; top: number } {
  const [column, row] = anchorCell[gravity];
  const along = (cell: number, outerLength: number, innerLength: number) =>
    cell === 0 ? 0 : cell === 2 ? outerLength - innerLength : Math.floor((outerLength - innerLength) / 2);
  return { left: along(column, outer.width, inner.width), top: along(row, outer.height, inner.height) };
}

/**
 * A watermark's place: dx/dy are margins from the anchored edges, as in ImageMagick's
 * `-gravity ... -geometry +dx+dy` which Qiniu follows: east anchors move the mark left by dx,
 * south anchors move it up by dy, centre columns/rows move it right/down.
 */
export function placeWithMargin(gravity: Gravity, outer: Size, inner: Size, dx: number, dy: number): Rect {
  const [column, row] = anchorCell[gravity];
  const { left, top } = anchorAt(gravity, outer, inner);
  return { left: left + (column === 2 ? -dx : dx), top: top + (row === 2 ? -dy : dy), ...inner };
}

/** The part of `rect` inside a frame of `outer` size, or undefined when nothing of it is. */
export function clipToFrame(rect: Rect, outer: Size): Rect | undefined {
  const left = Math.max(0, rect.left);
  const top = Math.max(0, rect.top);
  const right = Math.min(outer.width, rect.left + rect.width);
  const bottom = Math.min(outer.height, rect.top + rect.height);
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : undefined;
}
