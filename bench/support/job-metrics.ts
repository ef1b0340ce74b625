/** Completed jobs of one command and their summed processing time, from the gateway's /metrics. */
export interface JobTotals {
  count: number;
  seconds: number;
}

const DURATION_METRIC = 'fopflow_job_duration_seconds';

/**
 * Reads the worker-side job time histogram (every tier summed). It times the job from the
 * worker's pick-up to its result in the cache, so the rest of a request's latency is HTTP and queue.
 */
export async function completedJobTotals(baseUrl: string, command: string): Promise<JobTotals> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: ${response.status}`);
  const totals: JobTotals = { count: 0, seconds: 0 };
  for (const line of (await response.text()).split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || !match[2].includes(`command="${command}"`) || !match[2].includes('outcome="completed"')) continue;
    if (match[1] === `${DURATION_METRIC}_count`) totals.count += Number(match[3]);
    if (match[1] === `${DURATION_METRIC}_sum`) totals.seconds += Number(match[3]);
  }
  return totals;
}

/** Mean processing time of the jobs completed between two readings, in ms; NaN if none did. */
export function meanJobMs(before: JobTotals, after: JobTotals): number {
  const jobs = after.count - before.count;
  return jobs > 0 ? ((after.seconds - before.seconds) / jobs) * 1000 : Number.NaN;
}
