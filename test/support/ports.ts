// One implementation for tests and benchmarks: the bench's (bench/ is built, test/ is not).
export { freePort, waitFor } from '../../bench/support/ports';
