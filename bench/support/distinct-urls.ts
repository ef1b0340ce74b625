/** Values of one URL parameter, each a string or number as it goes into the URL. */
export type Dimension = readonly (string | number)[];

/** A supply of URLs that are all different, so that every request misses the result cache. */
export interface DistinctUrls {
  /** The next URL never answered before; throws once every combination is used. */
  next(): string;
  /** How many distinct URLs there are in all. */
  readonly capacity: number;
}

/**
 * Every combination of `dimensions`, one per call of next(), built into a URL by `build`; the
 * first dimension varies fastest. `what` names the supply in the error once it is spent.
 */
export function distinctUrls<D extends Record<string, Dimension>>(
  what: string,
  dimensions: D,
  build: (pick: { [K in keyof D]: D[K][number] }) => string,
): DistinctUrls {
  const names = Object.keys(dimensions) as (keyof D)[];
  const capacity = names.reduce((product, name) => product * dimensions[name].length, 1);
  let index = 0;
  return {
    capacity,
    next() {
      if (index >= capacity) throw new Error(`all ${capacity} distinct ${what} URLs are used; widen their variation`);
      let rest = index++;
      const pick = {} as { [K in keyof D]: D[K][number] };
      for (const name of names) {
        const values = dimensions[name];
        pick[name] = values[rest % values.length];
        rest = Math.floor(rest / values.length);
      }
      return build(pick);
    },
  };
}

/** The whole numbers from `first` to `last`, both included. */
export function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, offset) => first + offset);
}
