import type { Queue } from 'bullmq';

/**
 * Removes the job `jobId` from `queue` if it has finished (completed or failed), so the same id
 * can be added afresh: BullMQ ignores an add whose id exists, and a finished job stays for its
 * retention (up to an hour) answering its old outcome. A waiting or running one is work under
 * way and is kept.
 */
export async function removeFinishedJob(queue: Queue, jobId: string): Promise<void> {
  const job = await queue.getJob(jobId);
  if (job && (job.finishedOn !== undefined || (await job.isFailed()))) await job.remove().catch(() => undefined);
}
