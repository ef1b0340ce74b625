import type { JobsOptions } from 'bullmq';

/**
 * How long BullMQ keeps a finished job: at most `ageS` seconds *and* at most `count` jobs per
 * queue and outcome. Age alone lets a burst fill Redis, which runs with `noeviction` and would
 * then refuse every write.
 */
export function finishedJobRetention(ageS: number, count: number): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  return { removeOnComplete: { age: ageS, count }, removeOnFail: { age: ageS, count } };
}
