/**
 * Splits one command's concurrency between tiers by weight, each tier at least 1 so that no tier
 * starves: 4 jobs at once with weights paid 3 / free 1 gives paid 3, free 1.
 */
export function tierShares(concurrency: number, weights: Record<string, number>): Record<string, number> {
  const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
  return Object.fromEntries(
    Object.entries(weights).map(([tier, weight]) => [tier, Math.max(1, Math.round((concurrency * weight) / total))]),
  );
}
