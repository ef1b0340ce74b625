/** The S3-speaking server of the suites is the benchmarks' one: one way to start it. */
export { startS3, type TestS3 } from '../../bench/support/s3-server';
