import { CANCEL_CHANNEL, CancelMessage, createRedis, type RedisClient } from '@fopflow/queue';

/**
 * Listens for cancel requests; the instance running the job aborts it (BullMQ hands the abort to
 * the processor, which kills ffmpeg and removes its files). Others ignore the message.
 */
export function listenForCancels(redisUrl: string, onCancel: (message: CancelMessage) => void): () => void {
  const subscriber: RedisClient = createRedis(redisUrl, 'events', 'fopflow-cancel');
  subscriber.subscribe(CANCEL_CHANNEL).catch(() => undefined);
  subscriber.on('message', (_channel, text: string) => {
    try {
      const message = JSON.parse(text) as CancelMessage;
      if (typeof message.queue === 'string' && typeof message.jobId === 'string') onCancel(message);
    } catch {
      // Not ours to answer: a malformed message is ignored.
    }
  });
  return () => subscriber.disconnect();
}
