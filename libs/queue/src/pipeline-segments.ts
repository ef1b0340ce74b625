import { resultKey } from './names';
import type { FopJobData } from './payloads';

/** Names the pool that runs a command; commands of one pool run in one segment. */
export type PoolOfCommand = (command: string) => string;

/** Every command in one pool: a pipeline is never split. */
export const ONE_POOL: PoolOfCommand = () => 'all';

/**
 * The runs of consecutive steps of a normalised pipeline that one pool runs, in order:
 * `vframe/jpg/offset/1|imageMogr2/thumbnail/64x|imageInfo` → `vframe/jpg/offset/1`,
 * `imageMogr2/thumbnail/64x|imageInfo` when video and images are two pools. Normalised steps
 * carry their arguments URL-safe encoded, so '|' only ever separates steps.
 */
export function pipelineSegments(pipeline: string, poolOf: PoolOfCommand): string[] {
  const segments: string[][] = [];
  let lastPool: string | undefined;
  for (const step of pipeline.split('|')) {
    const pool = poolOf(commandOf(step));
    if (pool === lastPool) segments[segments.length - 1].push(step);
    else segments.push([step]);
    lastPool = pool;
  }
  return segments.map((steps) => steps.join('|'));
}

/**
 * The fop jobs of one pipeline split at its pools, first to run first: each segment reads the
 * one before from the result cache, under the key a worker handing on would use (so a sync
 * request for the same prefix finds it too); only the last stores at the saveas target and ends
 * the async item.
 */
export function segmentJobs(data: FopJobData, jobId: string, poolOf: PoolOfCommand): Array<{ data: FopJobData; jobId: string }> {
  const segments = pipelineSegments(data.pipeline, poolOf);
  if (segments.length === 1) return [{ data, jobId }];
  const { saveas: _saveas, ...unsaved } = data;
  const total = data.pipeline.split('|').length;
  let before: string | undefined;
  let stepsBefore = 0;
  return segments.map((pipeline, index) => {
    const last = index === segments.length - 1;
    const key = last ? data.resultKey : resultKey(data.source.bucket, data.source.key, data.source.etag, before ? `${before}|${pipeline}` : pipeline);
    const segment: FopJobData = {
      ...(last ? data : { ...unsaved, feedsNext: true }),
      pipeline,
      resultKey: key,
      stepsOf: { before: stepsBefore, total },
      ...(before && { intermediate: { resultKey: before } }),
    };
    before = key;
    stepsBefore += pipeline.split('|').length;
    return { data: segment, jobId: last ? jobId : `${jobId}.${index}` };
  });
}

/** The command of a step: the text before its first '/'. */
function commandOf(step: string): string {
  return /^[^/]*/.exec(step)![0];
}
