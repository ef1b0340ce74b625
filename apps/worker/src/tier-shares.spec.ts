import { tierShares } from './tier-shares';

describe('tierShares', () => {
  it('splits by weight', () => {
    expect(tierShares(4, { paid: 3, free: 1 })).toEqual({ paid: 3, free: 1 });
    expect(tierShares(8, { paid: 3, free: 1 })).toEqual({ paid: 6, free: 2 });
  });

  it('gives every tier at least one job at once, so free work never starves', () => {
    expect(tierShares(1, { paid: 3, free: 1 })).toEqual({ paid: 1, free: 1 });
    expect(tierShares(2, { paid: 10, free: 1, mine: 1 })).toEqual({ paid: 2, free: 1, mine: 1 });
  });
});
