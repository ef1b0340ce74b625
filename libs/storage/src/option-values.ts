import type { BucketChange } from './storage.types';

/** The fields of a change that were given; absent ones keep their value. */
export function definedOnly(change: BucketChange): BucketChange {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
}

/** Query strings can hand over arrays; only strings are meaningful as list options. */
export function textOption(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
