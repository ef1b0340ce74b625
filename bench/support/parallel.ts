/** Runs `work` on every item, at most `slots` at once, in order of the items; fails on the first failure. */
export async function forEachInParallel<T>(items: readonly T[], slots: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const slot = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(slots, items.length) }, slot));
}
