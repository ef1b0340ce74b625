import type { CropGeometry, Gravity, ThumbnailGeometry } from '@fopflow/fop';
import { planCrop, planThumbnail, rotatedSize } from './image-mogr2.plan';

const landscape = { width: 1200, height: 800 };
const portrait = { width: 800, height: 1200 };
const small = { width: 100, height: 50 };

describe('planThumbnail (imageMogr2 thumbnail geometries)', () => {
  it.each<[string, ThumbnailGeometry, { width: number; height: number }, { width: number; height: number }]>([
    // form, geometry, source, expected
    ['!50p halves both sides', { kind: 'scale', percent: 50 }, landscape, { width: 600, height: 400 }],
    ['!200p doubles both sides', { kind: 'scale', percent: 200 }, small, { width: 200, height: 100 }],
    ['!1p never reaches zero', { kind: 'scale', percent: 1 }, small, { width: 1, height: 1 }],
    ['!50px halves the width only', { kind: 'scaleWidth', percent: 50 }, landscape, { width: 600, height: 800 }],
    ['!x50p halves the height only', { kind: 'scaleHeight', percent: 50 }, landscape, { width: 1200, height: 400 }],
    ['<W>x sets the width, height in proportion', { kind: 'width', width: 300 }, landscape, { width: 300, height: 200 }],
    ['<W>x enlarges too', { kind: 'width', width: 300 }, small, { width: 300, height: 150 }],
    ['x<H> sets the height', { kind: 'height', height: 200 }, portrait, { width: 133, height: 200 }],
    ['<W>x<H> fits inside (width binds)', { kind: 'fit', width: 300, height: 300 }, landscape, { width: 300, height: 200 }],
    ['<W>x<H> fits inside (height binds)', { kind: 'fit', width: 300, height: 300 }, portrait, { width: 200, height: 300 }],
    ['<W>x<H> enlarges to fit', { kind: 'fit', width: 400, height: 400 }, small, { width: 400, height: 200 }],
    ['!<W>x<H>r covers (height binds)', { kind: 'cover', width: 300, height: 300 }, landscape, { width: 450, height: 300 }],
    ['!<W>x<H>r covers (width binds)', { kind: 'cover', width: 300, height: 300 }, portrait, { width: 300, height: 450 }],
    ['<W>x<H>! ignores the ratio', { kind: 'exact', width: 300, height: 300 }, landscape, { width: 300, height: 300 }],
    ['<W>x<H>> shrinks a larger source', { kind: 'shrink', width: 300, height: 300 }, landscape, { width: 300, height: 200 }],
    ['<W>x<H>> shrinks when one side is larger', { kind: 'shrink', width: 2000, height: 400 }, landscape, { width: 600, height: 400 }],
    ['<W>x<H>> leaves a smaller source', { kind: 'shrink', width: 300, height: 300 }, small, { width: 100, height: 50 }],
    ['<W>x<H>< enlarges a smaller source', { kind: 'enlarge', width: 400, height: 400 }, small, { width: 400, height: 200 }],
    ['<W>x<H>< leaves a source larger on one side', { kind: 'enlarge', width: 400, height: 40 }, small, { width: 100, height: 50 }],
    ['<W>x<H>< leaves a larger source', { kind: 'enlarge', width: 300, height: 300 }, landscape, { width: 1200, height: 800 }],
    ['<Area>@ keeps within the area', { kind: 'area', pixels: 10000 }, { width: 400, height: 300 }, { width: 115, height: 86 }],
    ['<Area>@ enlarges to the area', { kind: 'area', pixels: 20000 }, small, { width: 200, height: 100 }],
    ['<Area>@ of one pixel', { kind: 'area', pixels: 1 }, landscape, { width: 1, height: 1 }],
  ])('%s', (_name, geometry, source, expected) => {
    const size = planThumbnail(source, geometry);
    expect(size).toEqual(expected);
    if (geometry.kind === 'area') expect(size.width * size.height).toBeLessThanOrEqual(Math.max(1, geometry.pixels));
  });
});

describe('planCrop (imageMogr2 crop with gravity and offsets)', () => {
  const source = { width: 400, height: 300 };
  const crop = (geometry: Partial<CropGeometry>): CropGeometry => ({ dx: 0, dy: 0, ...geometry });

  it.each<[string, Partial<CropGeometry>, Gravity, object | undefined]>([
    ['NorthWest is the corner', { width: 100, height: 50 }, 'NorthWest', { left: 0, top: 0, width: 100, height: 50 }],
    ['North centres horizontally', { width: 100, height: 50 }, 'North', { left: 150, top: 0, width: 100, height: 50 }],
    ['NorthEast', { width: 100, height: 50 }, 'NorthEast', { left: 300, top: 0, width: 100, height: 50 }],
    ['West', { width: 100, height: 50 }, 'West', { left: 0, top: 125, width: 100, height: 50 }],
    ['Center', { width: 100, height: 50 }, 'Center', { left: 150, top: 125, width: 100, height: 50 }],
    ['East', { width: 100, height: 50 }, 'East', { left: 300, top: 125, width: 100, height: 50 }],
    ['SouthWest', { width: 100, height: 50 }, 'SouthWest', { left: 0, top: 250, width: 100, height: 50 }],
    ['South', { width: 100, height: 50 }, 'South', { left: 150, top: 250, width: 100, height: 50 }],
    ['SouthEast', { width: 100, height: 50 }, 'SouthEast', { left: 300, top: 250, width: 100, height: 50 }],
    ['<W>x keeps the whole height', { width: 100 }, 'NorthWest', { left: 0, top: 0, width: 100, height: 300 }],
    ['x<H> keeps the whole width', { height: 100 }, 'South', { left: 0, top: 200, width: 400, height: 100 }],
    ['a offsets move right and down', { width: 100, height: 50, dx: 10, dy: 20 }, 'NorthWest', { left: 10, top: 20, width: 100, height: 50 }],
    ['- offsets move left and up', { width: 100, height: 50, dx: -10, dy: -20 }, 'Center', { left: 140, top: 105, width: 100, height: 50 }],
    ['offsets apply from any anchor', { width: 100, height: 50, dx: -50, dy: -50 }, 'SouthEast', { left: 250, top: 200, width: 100, height: 50 }],
    ['a box past the edge is clipped', { width: 100, height: 50, dx: 350, dy: 0 }, 'NorthWest', { left: 350, top: 0, width: 50, height: 50 }],
    ['a box larger than the image is the image', { width: 1000, height: 1000 }, 'Center', { left: 0, top: 0, width: 400, height: 300 }],
    ['a box outside the image is nothing', { width: 100, height: 50, dx: 400 }, 'NorthWest', undefined],
    ['a box above the image is nothing', { width: 100, height: 50, dy: -50 }, 'NorthWest', undefined],
  ])('%s', (_name, geometry, gravity, expected) => {
    expect(planCrop(source, crop(geometry), gravity)).toEqual(expected);
  });
});

// Qiniu's crop offset table: `a<dx>a<dy>` moves the box right and down from the gravity's anchor,
// under every gravity (not inward, as a watermark's margins do); `-<dx>` is documented as "taking dx
// from the width", which is what a move left does at the default NorthWest anchor, where the box
// is clipped at the edge. Elsewhere the box moves left keeping its width, as `a` moves it right.
describe('planCrop offsets under every gravity (Qiniu: a moves right/down, - left/up, from the anchor)', () => {
  const source = { width: 400, height: 300 };
  const anchors: Record<Gravity, [number, number]> = {
    NorthWest: [0, 0], North: [150, 0], NorthEast: [300, 0],
    West: [0, 125], Center: [150, 125], East: [300, 125],
    SouthWest: [0, 250], South: [150, 250], SouthEast: [300, 250],
  };

  it.each(Object.entries(anchors) as [Gravity, [number, number]][])('%s: a10a20 moves right and down, -10-20 left and up, clipped to the image', (gravity, [left, top]) => {
    const moved = (dx: number, dy: number) => planCrop(source, { width: 100, height: 50, dx, dy }, gravity);
    const clip = (l: number, t: number) => {
      const x = Math.max(0, l), y = Math.max(0, t);
      const right = Math.min(400, l + 100), bottom = Math.min(300, t + 50);
      return { left: x, top: y, width: right - x, height: bottom - y };
    };
    expect(moved(10, 20)).toEqual(clip(left + 10, top + 20));
    expect(moved(-10, -20)).toEqual(clip(left - 10, top - 20));
  });

  it('at NorthWest, -<dx> takes dx from the width, as Qiniu\'s table words it', () => {
    expect(planCrop(source, { width: 100, height: 50, dx: -10, dy: 0 }, 'NorthWest')).toEqual({ left: 0, top: 0, width: 90, height: 50 });
  });
});

describe('rotatedSize', () => {
  it.each([
    [90, { width: 300, height: 400 }],
    [180, { width: 400, height: 300 }],
    [270, { width: 300, height: 400 }],
    [360, { width: 400, height: 300 }],
    [45, { width: 495, height: 495 }],
    [30, { width: 497, height: 460 }],
  ])('%p°', (degrees, expected) => {
    expect(rotatedSize({ width: 400, height: 300 }, degrees)).toEqual(expected);
  });
});
