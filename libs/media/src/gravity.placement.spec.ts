import type { Gravity } from '@fopflow/fop';
import { anchorAt, clipToFrame, placeWithMargin } from './gravity.placement';

const frame = { width: 200, height: 100 };
const mark = { width: 20, height: 10 };

describe('placeWithMargin (watermark dx/dy as margins from the anchored edges)', () => {
  it.each<[Gravity, number, number]>([
    ['NorthWest', 5, 3],
    ['North', 95, 3],
    ['NorthEast', 175, 3],
    ['West', 5, 48],
    ['Center', 95, 48],
    ['East', 175, 48],
    ['SouthWest', 5, 87],
    ['South', 95, 87],
    ['SouthEast', 175, 87],
  ])('%s', (gravity, left, top) => {
    expect(placeWithMargin(gravity, frame, mark, 5, 3)).toEqual({ left, top, ...mark });
  });

  it('anchors without offsets flush with the edges', () => {
    expect(anchorAt('SouthEast', frame, mark)).toEqual({ left: 180, top: 90 });
    expect(anchorAt('Center', { width: 5, height: 5 }, { width: 2, height: 2 })).toEqual({ left: 1, top: 1 });
  });
});

describe('clipToFrame', () => {
  it('keeps what lies inside and drops what does not', () => {
    expect(clipToFrame({ left: -5, top: 95, width: 20, height: 10 }, frame)).toEqual({ left: 0, top: 95, width: 15, height: 5 });
    expect(clipToFrame({ left: 0, top: 0, width: 200, height: 100 }, frame)).toEqual({ left: 0, top: 0, width: 200, height: 100 });
    expect(clipToFrame({ left: 200, top: 0, width: 5, height: 5 }, frame)).toBeUndefined();
    expect(clipToFrame({ left: -5, top: 0, width: 5, height: 5 }, frame)).toBeUndefined();
  });
});
