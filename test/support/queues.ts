import { Queue } from 'bullmq';
import IORedis from 'ioredis';

/** Jobs of a command over both tiers' queues: completed, failed, and still open (waiting, active, delayed). */
export async function commandCounts(redisUrl: string, command: string): Promise<{ completed: number; failed: number; open: number }> {
  const connection = new IORedis(redisUrl);
  const queues = ['paid', 'free'].map((tier) => new Queue(`fop.${command}.${tier}`, { connection }));
  try {
    const all = await Promise.all(queues.map((queue) => queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')));
    return all.reduce<{ completed: number; failed: number; open: number }>((sum, c) => ({ completed: sum.completed + c.completed, failed: sum.failed + c.failed, open: sum.open + c.waiting + c.active + c.delayed }), {
      completed: 0,
      failed: 0,
      open: 0,
    });
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  }
}
