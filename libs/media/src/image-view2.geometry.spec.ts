import type { ImageView2Args } from '@fopflow/fop';
import { planImageView2 } from './image-view2.geometry';

const args = (mode: ImageView2Args['mode'], w?: number, h?: number): ImageView2Args => ({ mode, w, h, qForce: false, ignoreError: false });
const landscape = { width: 1200, height: 800 };
const portrait = { width: 800, height: 1200 };

describe('planImageView2 (Qiniu imageView2 geometry)', () => {
  it.each([
    // mode, w, h, source, expected
    ['0: long edge ≤ w, short edge ≤ h', args(0, 400, 400), landscape, { width: 400, height: 267 }],
    ['0: w alone bounds the long edge', args(0, 300), portrait, { width: 200, height: 300 }],
    ['0: h alone bounds the short edge', args(0, undefined, 200), portrait, { width: 200, height: 300 }],
    ['2: inside w×h', args(2, 320, 320), landscape, { width: 320, height: 213 }],
    ['2: w alone bounds the width', args(2, 300), portrait, { width: 300, height: 450 }],
    ['2: h alone bounds the height', args(2, undefined, 100), landscape, { width: 150, height: 100 }],
    ['3: covers w×h without crop', args(3, 300, 300), landscape, { width: 450, height: 300 }],
    ['4: long edge ≥ w and short edge ≥ h', args(4, 600, 300), portrait, { width: 400, height: 600 }],
  ])('mode %s', (_name, given, source, expected) => {
    expect(planImageView2(source, given)).toEqual(expected);
  });

  it('mode 1 covers, then centre-crops to exactly w×h', () => {
    expect(planImageView2(landscape, args(1, 320, 320))).toEqual({ width: 480, height: 320, crop: { width: 320, height: 320 } });
  });

  it('mode 1 with w alone makes a square', () => {
    expect(planImageView2(portrait, args(1, 100))).toEqual({ width: 100, height: 150, crop: { width: 100, height: 100 } });
  });

  it('mode 5 crops to long edge w and short edge h, oriented like the source', () => {
    expect(planImageView2(portrait, args(5, 300, 200))).toEqual({ width: 200, height: 300 });
    expect(planImageView2(landscape, args(5, 300, 100))).toEqual({ width: 300, height: 200, crop: { width: 300, height: 100 } });
    expect(planImageView2(portrait, args(5, 300, 100))).toEqual({ width: 200, height: 300, crop: { width: 100, height: 300 } });
  });

  it('never enlarges: a bound larger than the source keeps the source size', () => {
    for (const mode of [0, 1, 2, 3, 4, 5] as const) {
      const plan = planImageView2({ width: 100, height: 50 }, args(mode, 1000, 1000));
      expect(plan.width).toBeLessThanOrEqual(100);
      expect(plan.height).toBeLessThanOrEqual(50);
    }
    expect(planImageView2({ width: 100, height: 50 }, args(1, 1000, 1000))).toEqual({ width: 100, height: 50 });
  });

  it('never produces a zero-sized side', () => {
    expect(planImageView2({ width: 5000, height: 2 }, args(2, 10))).toEqual({ width: 10, height: 1 });
  });
});
