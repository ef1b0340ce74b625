import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { waitFor } from '../support/ports';

const AK = 'status-ak-01';
const SK = 'status-sk-01-secret';

/**
 * An async item's status is written by the processor with the work, not by a listener after it:
 * when the write cannot happen, the job does not complete as if it had.
 */
describe('async item status written where the work happens', () => {
  let platform: Platform;
  let client: ApiClient;

  beforeAll(async () => {
    platform = await startPlatform({ FOPFLOW_KEYS: `${AK}:${SK}:paid` }, []);
    client = new ApiClient(platform.url, AK, SK);
    expect((await client.upload('media/photo.jpg', await makeJpeg(64, 48), 'image/jpeg')).status).toBe(200);
  });

  afterAll(() => platform?.stop());

  it('fails a job whose status record cannot be written, instead of completing it silently', async () => {
    const submitted = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo'] });
    expect(submitted.status).toBe(202);
    const { id } = submitted.body;
    const redis = new IORedis(platform.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('fop.imageInfo.paid', { connection: redis });
    try {
      // The record becomes a string: every status write now fails with WRONGTYPE.
      await redis.del(`fopflow:pjob:${id}`);
      await redis.set(`fopflow:pjob:${id}`, 'not a hash');
      await platform.startWorker();
      let state = '';
      await waitFor(`job ${id}-0 to end`, async () => {
        state = (await queue.getJobState(`${id}-0`)) as string;
        return state === 'completed' || state === 'failed';
      });
      expect(state).toBe('failed');
      const job = await queue.getJob(`${id}-0`);
      expect(job?.failedReason).toMatch(/WRONGTYPE/);
      expect(job?.attemptsMade).toBe(2);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('records a finished item done, with the worker writing it', async () => {
    const submitted = await client.json<{ id: string }>('POST', '/v1/jobs', { source: { bucket: 'media', key: 'photo.jpg' }, fops: ['imageInfo', 'imageView2/2/w/10'] });
    const { id } = submitted.body;
    let code = -1;
    await waitFor(`job ${id} to end`, async () => {
      code = (await client.json<{ code: number }>('GET', `/v1/jobs/${id}`)).body.code;
      return code === 0 || code === 3;
    });
    expect(code).toBe(0);
  });
});
