/** Each suite stops what it started; nothing is shared across suites. */
export default function globalTeardown(): void {}
