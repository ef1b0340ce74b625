import { ApiClient } from '../support/api-client';
import { makeJpeg } from '../support/media';
import { Platform, startPlatform } from '../support/platform';
import { startS3, TestS3 } from '../support/s3-server';
import { S3RequestLog, startS3RequestLog } from '../support/s3-request-log';

const OWNER = { ak: 'ownerAK01', sk: 'ownerSK01-secret' };
/** The S3 key of the Fopflow object media/photo.jpg (objects/<bucket>/<key>). */
const SOURCE = 'objects/media/photo.jpg';

/**
 * One worker on S3 storage, its store reached through a request log: fops on one object that the
 * result cache cannot answer (each URL is new) read the source from S3 once, into the worker's
 * source cache; a new upload of the object (a new etag) is read once more.
 */
describe('worker sources: fetched from S3 once per host', () => {
  let s3: TestS3;
  let log: S3RequestLog;
  let platform: Platform;
  let owner: ApiClient;

  const fop = async (width: number) => {
    const answer = await fetch(`${platform.url}/media/photo.jpg?imageView2/2/w/${width}/format/png`);
    expect([answer.status, answer.headers.get('x-fop-cache')]).toEqual([200, 'MISS']);
    return Buffer.from(await answer.arrayBuffer());
  };

  beforeAll(async () => {
    s3 = await startS3();
    log = await startS3RequestLog(s3.endpoint);
    platform = await startPlatform({ ...s3.env, FOPFLOW_S3_ENDPOINT: log.endpoint, FOPFLOW_KEYS: `${OWNER.ak}:${OWNER.sk}:paid` });
    owner = new ApiClient(platform.url, OWNER.ak, OWNER.sk);
    expect((await owner.upload('media/photo.jpg', await makeJpeg(64, 48), 'image/jpeg')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    await log?.close();
    await s3?.stop();
  });

  it('reads the source once for five distinct fops, and once more after a new upload', async () => {
    const before = log.getsOf(s3.bucket, SOURCE);
    for (const width of [10, 11, 12, 13, 14]) await fop(width);
    expect(log.getsOf(s3.bucket, SOURCE) - before).toBe(1);

    expect((await owner.upload('media/photo.jpg', await makeJpeg(80, 40), 'image/jpeg')).status).toBe(200);
    const afterUpload = log.getsOf(s3.bucket, SOURCE);
    const resized = await fop(15);
    expect(resized.length).toBeGreaterThan(0);
    await fop(16);
    expect(log.getsOf(s3.bucket, SOURCE) - afterUpload).toBe(1);
  });
});
